package vigil.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where a runit-style {@code log/run} writes, when it says so plainly: a line that runs {@code svlogd},
 * {@code s6-log} or {@code multilog}, whose last argument is the log directory (relative to {@code log/}, where
 * runsv and Vigil run it). Vigil does not capture such a service's output itself, so {@code vigil logs} reads the
 * logger's directory instead; the layout ({@code current}, rotated {@code @<tai64n>.s}) is the one Vigil writes.
 */
public final class LoggerScript {
    private LoggerScript() {}

    private static final Set<String> LOGGERS = Set.of("svlogd", "s6-log", "multilog");

    /** The directory {@code logDir/run} has its logger write, if one line of it names a known logger and a path. */
    public static Optional<Path> directory(Path logDir) throws IOException {
        List<String> lines = Files.readAllLines(logDir.resolve("run"), StandardCharsets.ISO_8859_1);
        Optional<Path> found = Optional.empty();
        for (String line : lines) {
            List<String> words = words(line);
            for (int i = 0; i < words.size(); i++) {
                String program = words.get(i).substring(words.get(i).lastIndexOf('/') + 1);
                if (!LOGGERS.contains(program) || i == words.size() - 1) continue;
                String last = words.getLast();
                // multilog and s6-log take their directory as the only argument starting with . or /; svlogd any.
                if (!program.equals("svlogd") && !last.startsWith(".") && !last.startsWith("/")) continue;
                // A variable, a substitution or a glob: the shell decides where, not this reading.
                if (last.startsWith("-") || last.matches(".*[$`*?\\[].*")) continue;
                found = Optional.of(logDir.resolve(last).normalize());
            }
        }
        return found;
    }

    /**
     * The words of a shell line, up to a comment or a redirection, a pipe or a list; quotes are removed, anything
     * fancier is kept as it is (and then refused by the caller's check for {@code $}).
     */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else word.append(c);
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == ' ' || c == '\t') {
                if (inWord) words.add(word.toString());
                word.setLength(0);
                inWord = false;
            } else if (c == '#' && !inWord || c == ';' || c == '|' || c == '&' || c == '>' || c == '<') {
                break;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) words.add(word.toString());
        // "2" of "2>&1" was read as a word before the redirection ended the line.
        if (!words.isEmpty() && line.matches(".*\\s\\d+[<>].*") && words.getLast().matches("\\d+")) words.removeLast();
        return words;
    }
}
