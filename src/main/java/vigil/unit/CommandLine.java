package vigil.unit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses the value of an {@code Exec*=} directive (systemd.service(5), "Command lines") into one or more
 * {@link ExecCommand}s.
 *
 * <ul>
 *   <li>The first word may carry prefixes, in any order, each at most once: {@code -} (ignore failure), {@code @}
 *       (the second word is argv[0]), {@code :} (no variable expansion), and one of {@code +}, {@code !},
 *       {@code !!}.</li>
 *   <li>Words are unquoted and unescaped as {@link Words} describes, then specifiers are expanded.</li>
 *   <li>The executable must be an absolute path or a bare file name.</li>
 *   <li>A lone {@code ;} ends one command and starts the next; {@code \;} is a literal {@code ;} argument.</li>
 *   <li>{@code $NAME} as a whole word and {@code ${NAME}} anywhere are kept as variables for the runtime;
 *       {@code $$} is a literal {@code $}. Other uses of {@code $} are literal text.</li>
 * </ul>
 */
public final class CommandLine {
    private CommandLine() {}

    public static List<ExecCommand> parse(String value, Specifiers specifiers) throws InvalidValueException {
        var commands = new ArrayList<ExecCommand>();
        var cursor = new Words.Cursor(value);
        while (!cursor.atEnd()) {
            Optional<String> first = cursor.next();
            if (first.isEmpty()) break;
            if (first.get().equals(";")) continue;
            commands.add(command(first.get(), cursor, specifiers));
        }
        return commands;
    }

    private static ExecCommand command(String first, Words.Cursor cursor, Specifiers specifiers)
            throws InvalidValueException {
        boolean ignore = false, separateArgv0 = false, literal = false;
        ExecCommand.Privileges privileges = ExecCommand.Privileges.DEFAULT;
        int i = 0;
        while (i < first.length()) {
            char c = first.charAt(i);
            if (c == '-' && !ignore) {
                ignore = true;
            } else if (c == '@' && !separateArgv0) {
                separateArgv0 = true;
            } else if (c == ':' && !literal) {
                literal = true;
            } else if (c == '+' && privileges == ExecCommand.Privileges.DEFAULT) {
                privileges = ExecCommand.Privileges.FULL;
            } else if (c == '!' && privileges == ExecCommand.Privileges.DEFAULT) {
                privileges = ExecCommand.Privileges.NO_SETUID;
            } else if (c == '!' && privileges == ExecCommand.Privileges.NO_SETUID) {
                privileges = ExecCommand.Privileges.AMBIENT_FALLBACK;
            } else {
                break;
            }
            i++;
        }
        String path = specifiers.expand(first.substring(i));
        checkExecutable(path);

        var argv = new ArrayList<ExecCommand.Argument>();
        if (!separateArgv0) argv.add(new ExecCommand.Literal(path));
        while (!cursor.atEnd()) {
            String rest = cursor.rest();
            if (rest.charAt(0) == ';' && (rest.length() == 1 || Lexer.isBlank(rest.charAt(1)))) {
                cursor.skip(1);
                break;
            }
            if (rest.startsWith("\\;") && (rest.length() == 2 || Lexer.isBlank(rest.charAt(2)))) {
                cursor.skip(2);
                argv.add(new ExecCommand.Literal(";"));
                continue;
            }
            String word = specifiers.expand(cursor.next().orElseThrow());
            argv.add(literal ? new ExecCommand.Literal(word) : argument(word));
        }
        if (argv.isEmpty()) throw new InvalidValueException("the @ prefix needs an argv[0] after the executable");
        return new ExecCommand(path, argv, ignore, !literal, privileges);
    }

    private static void checkExecutable(String path) throws InvalidValueException {
        if (path.isEmpty()) throw new InvalidValueException("empty executable path");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < ' ' || c == 127 || c == '"' || c == '\'' || c == '\\') {
                throw new InvalidValueException("executable '" + path + "' contains special characters");
            }
        }
        if (path.startsWith("/")) {
            if (path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..")) {
                throw new InvalidValueException("executable '" + path + "' names a directory");
            }
        } else if (path.contains("/") || path.equals(".") || path.equals("..") || path.length() > 255) {
            throw new InvalidValueException("executable '" + path + "' is neither an absolute path nor a file name");
        }
    }

    /** Turns an unquoted word into a literal, a split variable, or text with {@code ${NAME}} references. */
    static ExecCommand.Argument argument(String word) {
        if (word.indexOf('$') < 0) return new ExecCommand.Literal(word);
        if (word.length() > 1 && word.charAt(0) == '$' && isName(word, 1, word.length())) {
            return new ExecCommand.SplitVariable(word.substring(1));
        }
        var parts = new ArrayList<ExecCommand.Part>();
        var text = new StringBuilder();
        int i = 0;
        while (i < word.length()) {
            char c = word.charAt(i);
            if (c == '$' && i + 1 < word.length() && word.charAt(i + 1) == '$') {
                text.append('$');
                i += 2;
                continue;
            }
            if (c == '$' && i + 1 < word.length() && word.charAt(i + 1) == '{') {
                int close = word.indexOf('}', i + 2);
                if (close > i + 2 && isName(word, i + 2, close)) {
                    if (!text.isEmpty()) parts.add(new ExecCommand.Text(text.toString()));
                    text.setLength(0);
                    parts.add(new ExecCommand.Variable(word.substring(i + 2, close)));
                    i = close + 1;
                    continue;
                }
            }
            text.append(c);
            i++;
        }
        if (!text.isEmpty()) parts.add(new ExecCommand.Text(text.toString()));
        if (parts.size() == 1 && parts.getFirst() instanceof ExecCommand.Text t) {
            return new ExecCommand.Literal(t.text());
        }
        return new ExecCommand.Interpolated(parts);
    }

    /** An environment variable name: {@code [A-Za-z_][A-Za-z0-9_]*}. */
    static boolean isName(String s, int from, int to) {
        if (from >= to) return false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            boolean ok = c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > from && c >= '0' && c <= '9';
            if (!ok) return false;
        }
        return true;
    }
}
