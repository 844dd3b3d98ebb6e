package vigil.unit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the logical lines of one unit file into sections and {@code key=value} entries, keeping every entry's
 * file and line. It knows nothing of directives: which sections and keys are valid is {@link UnitDirectives}'
 * business.
 *
 * <p>As in systemd, a line that is neither a section header nor an assignment, or a broken section header, makes
 * the file invalid (an error); an assignment before the first section is skipped with a warning.
 */
public final class Parser {
    private Parser() {}

    /** One {@code key=value} line, with the section it is in. Key and value are trimmed; the value is raw. */
    public record Entry(String section, String key, String value, Source source) {}

    /** A {@code [Section]} header line. */
    public record SectionHeader(String name, Source source) {}

    /** A parsed file: its section headers and entries in file order, and the syntax problems found. */
    public record ParsedFile(Path path, List<SectionHeader> sections, List<Entry> entries,
                             List<Diagnostic> diagnostics) {
        public ParsedFile {
            sections = List.copyOf(sections);
            entries = List.copyOf(entries);
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /**
     * Syntax errors reported per file; the rest are counted. A file of garbage is one problem, not a log line for
     * each of its hundred thousand lines.
     */
    static final int MAX_SYNTAX_ERRORS = 20;
    /** How much of a bad line an error quotes: a continued line may be a mebibyte long. */
    private static final int QUOTE_LIMIT = 80;

    public static ParsedFile parse(Path path, String text) {
        var sections = new ArrayList<SectionHeader>();
        var entries = new ArrayList<Entry>();
        var diagnostics = new Problems();
        String section = null;
        boolean brokenHeader = false;
        for (Lexer.Line line : Lexer.lines(text)) {
            String l = strip(line.text());
            Source source = new Source(path, line.number());
            // No value may hold one (a path, an argument, an environment string: none can carry it to the kernel).
            if (l.indexOf('\0') >= 0) {
                diagnostics.add(Diagnostic.error(Diagnostic.Kind.SYNTAX, source, "", "",
                        "a NUL byte in " + quote(l.replace('\0', ' ')) + "; line ignored"));
                continue;
            }
            if (l.startsWith("[")) {
                if (!l.endsWith("]") || l.length() < 3) {
                    diagnostics.add(Diagnostic.error(Diagnostic.Kind.SYNTAX, source, "", "",
                            "invalid section header " + quote(l)));
                    section = null;
                    brokenHeader = true;
                    continue;
                }
                section = l.substring(1, l.length() - 1);
                if (section.chars().anyMatch(c -> c < ' ' || c == 127 || c == '[' || c == ']')) {
                    diagnostics.add(Diagnostic.error(Diagnostic.Kind.SYNTAX, source, "", "",
                            "bad characters in section header " + quote(l)));
                    section = null;
                    brokenHeader = true;
                    continue;
                }
                sections.add(new SectionHeader(section, source));
                brokenHeader = false;
                continue;
            }
            if (section == null) {
                // After a broken header the file is already invalid: one error is enough.
                if (!brokenHeader) {
                    diagnostics.add(Diagnostic.warning(Diagnostic.Kind.SYNTAX, source, "", "",
                            "assignment outside of any section; ignored"));
                }
                continue;
            }
            int eq = l.indexOf('=');
            if (eq < 0) {
                diagnostics.add(Diagnostic.error(Diagnostic.Kind.SYNTAX, source, "", "", "missing '=' in " + quote(l)));
                continue;
            }
            String key = strip(l.substring(0, eq));
            if (key.isEmpty()) {
                diagnostics.add(Diagnostic.error(Diagnostic.Kind.SYNTAX, source, "", "",
                        "missing key name before '=' in " + quote(l)));
                continue;
            }
            entries.add(new Entry(section, key, strip(l.substring(eq + 1)), source));
        }
        return new ParsedFile(path, sections, entries, diagnostics.list(path));
    }

    /** A file's syntax problems: the first {@link #MAX_SYNTAX_ERRORS}, then only a count of the rest. */
    private static final class Problems {
        final List<Diagnostic> shown = new ArrayList<>();
        int unshown;
        boolean unshownError;

        void add(Diagnostic d) {
            if (shown.size() < MAX_SYNTAX_ERRORS) {
                shown.add(d);
            } else {
                unshown++;
                unshownError |= d.isError();
            }
        }

        List<Diagnostic> list(Path path) {
            if (unshown == 0) return shown;
            var all = new ArrayList<>(shown);
            String reason = unshown + " more syntax problems, not shown";
            all.add(unshownError ? Diagnostic.error(Diagnostic.Kind.SYNTAX, Source.of(path), "", "", reason)
                    : Diagnostic.warning(Diagnostic.Kind.SYNTAX, Source.of(path), "", "", reason));
            return all;
        }
    }

    /** The line as an error quotes it: cut short if long. */
    private static String quote(String line) {
        return "'" + (line.length() <= QUOTE_LIMIT ? line : line.substring(0, QUOTE_LIMIT) + "...") + "'";
    }

    /** Trims systemd's WHITESPACE (not every character Java's strip() considers blank). */
    static String strip(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && Lexer.isBlank(s.charAt(b))) b++;
        while (e > b && Lexer.isBlank(s.charAt(e - 1))) e--;
        return s.substring(b, e);
    }
}
