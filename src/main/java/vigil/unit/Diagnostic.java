package vigil.unit;

import java.util.Objects;

/**
 * One problem found while loading a unit: where, which setting, and why.
 *
 * @param key    the directive, {@code [Section]} for a section problem, or empty for a file-wide problem
 * @param value  the value as written (before specifiers), or empty
 * @param reason what is wrong, in words
 */
public record Diagnostic(Severity severity, Kind kind, Source source, String key, String value, String reason) {
    /** An error makes its unit fail to load; a warning never does. */
    public enum Severity { WARNING, ERROR }

    /** What sort of problem, so a report can count them by sort. */
    public enum Kind {
        /** The file is not well-formed: a line without '=', a broken section header. */
        SYNTAX,
        /** A section systemd does not know for this unit type; all of it is skipped. */
        UNKNOWN_SECTION,
        /** A directive systemd does not know in a known section. */
        UNKNOWN_DIRECTIVE,
        /** A directive systemd knows and Vigil parses, but does not act on. */
        IGNORED_DIRECTIVE,
        /** A value that does not parse, or that is out of range. */
        INVALID_VALUE,
        /** A problem with the unit as a whole: a missing ExecStart=, a unit type Vigil does not run. */
        UNIT,
        /** The unit's files could not be read. */
        IO
    }

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(reason, "reason");
    }

    public static Diagnostic error(Kind kind, Source source, String key, String value, String reason) {
        return new Diagnostic(Severity.ERROR, kind, source, key, value, reason);
    }

    public static Diagnostic warning(Kind kind, Source source, String key, String value, String reason) {
        return new Diagnostic(Severity.WARNING, kind, source, key, value, reason);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line: key=value: reason}, or {@code file:line: reason} when there is no key. */
    public String format() {
        String setting = key.isEmpty() ? "" : key.startsWith("[") ? key + ": " : key + "=" + value + ": ";
        return source + ": " + setting + reason;
    }
}
