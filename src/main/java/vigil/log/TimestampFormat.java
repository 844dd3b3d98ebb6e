package vigil.log;

import java.util.Locale;

/**
 * How each line written to a log is stamped with the time its first byte arrived.
 *
 * <ul>
 *   <li>{@link #TAI64N}: {@code @4000000069205f2a1fd9a3c8 } (25 characters and a space), exactly as
 *       {@code svlogd -t}, {@code multilog t} and {@code s6-log t} write it; daemontools' {@code tai64nlocal} reads
 *       it.
 *   <li>{@link #ISO}: {@code 2026-11-21T13:17:30.536590Z } (27 characters and a space): ISO 8601 in UTC with
 *       microseconds. UTC, so that a line means the same everywhere and lines sort as text; the {@code Z} says so.
 *   <li>{@link #NONE}: the line as the service wrote it, as plain {@code svlogd} does.
 * </ul>
 */
public enum TimestampFormat {
    TAI64N(26),
    ISO(28),
    NONE(0);

    private final int width;

    TimestampFormat(int width) {
        this.width = width;
    }

    /** Bytes the stamp takes at the start of a line, its trailing space included. */
    public int width() {
        return width;
    }

    /** The lower-case name used on command lines: {@code tai64n}, {@code iso}, {@code none}. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code tai64n}, {@code iso} or {@code none}, ignoring case. */
    public static TimestampFormat parse(String text) {
        for (TimestampFormat format : values()) {
            if (format.flag().equalsIgnoreCase(text)) return format;
        }
        throw new IllegalArgumentException("unknown timestamp format '" + text + "' (want tai64n, iso or none)");
    }
}
