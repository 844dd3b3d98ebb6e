package vigil.log;

/**
 * Writes and reads the per-line stamps of {@link TimestampFormat} and the TAI64N labels in rotated file names.
 * Formatting fills a caller's array and allocates nothing: the writer stamps every chunk it is handed.
 *
 * <p>TAI64N is TAI seconds as 2^62 plus the count, then nanoseconds, in hex. Like daemontools, libtai and s6, the
 * system clock is taken to be 10 s behind TAI, without a leap-second table: {@code tai64nlocal} undoes exactly that.
 */
public final class Timestamps {
    private Timestamps() {}

    /** What {@link #parse} returns for a line that starts with no stamp it knows. */
    public static final long NONE = Long.MIN_VALUE;

    private static final long TAI_EPOCH = 0x4000000000000000L + 10;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Writes the stamp for {@code epochNanos} and its trailing space at {@code at}; returns the width written. */
    static int format(TimestampFormat format, long epochNanos, byte[] dst, int at) {
        return switch (format) {
            case TAI64N -> {
                dst[at] = '@';
                tai64n(epochNanos, dst, at + 1);
                dst[at + 25] = ' ';
                yield 26;
            }
            case ISO -> iso(epochNanos, dst, at);
            case NONE -> 0;
        };
    }

    /** Writes 24 hex digits: the TAI64 label of the second, then the nanoseconds. */
    static void tai64n(long epochNanos, byte[] dst, int at) {
        long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        hex(TAI_EPOCH + seconds, 16, dst, at);
        hex(Math.floorMod(epochNanos, NANOS_PER_SECOND), 8, dst, at + 16);
    }

    /** The 24 hex digits of {@link #tai64n(long, byte[], int)} as a string. */
    static String tai64n(long epochNanos) {
        byte[] digits = new byte[24];
        tai64n(epochNanos, digits, 0);
        return new String(digits, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static void hex(long value, int digits, byte[] dst, int at) {
        for (int i = digits - 1; i >= 0; i--) {
            dst[at + i] = HEX[(int) (value & 0xf)];
            value >>>= 4;
        }
    }

    private static int iso(long epochNanos, byte[] dst, int at) {
        long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        int micros = (int) (Math.floorMod(epochNanos, NANOS_PER_SECOND) / 1000);
        long days = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        // Howard Hinnant's days-to-civil: exact for the proleptic Gregorian calendar, no tables, no allocation.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        decimal(year, 4, dst, at);
        dst[at + 4] = '-';
        decimal(month, 2, dst, at + 5);
        dst[at + 7] = '-';
        decimal(day, 2, dst, at + 8);
        dst[at + 10] = 'T';
        decimal(secondOfDay / 3600, 2, dst, at + 11);
        dst[at + 13] = ':';
        decimal(secondOfDay / 60 % 60, 2, dst, at + 14);
        dst[at + 16] = ':';
        decimal(secondOfDay % 60, 2, dst, at + 17);
        dst[at + 19] = '.';
        decimal(micros, 6, dst, at + 20);
        dst[at + 26] = 'Z';
        dst[at + 27] = ' ';
        return 28;
    }

    private static void decimal(long value, int digits, byte[] dst, int at) {
        for (int i = digits - 1; i >= 0; i--) {
            dst[at + i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }

    /**
     * The time in the stamp at the start of {@code line[offset, offset + length)}, in nanoseconds since the epoch,
     * or {@link #NONE}. Knows TAI64N ({@code @} and 24 hex digits, as svlogd -t, multilog and s6-log write it),
     * Vigil's ISO stamp, and svlogd's {@code -tt} and {@code -ttt} stamps ({@code 2026-11-21_13:17:30.53659} and
     * the same with {@code T}); a date-time without a zone is UTC, as svlogd writes it.
     */
    public static long parse(byte[] line, int offset, int length) {
        if (length >= 25 && line[offset] == '@') return parseTai64n(line, offset + 1);
        if (length >= 19 && isDigit(line[offset])) return parseIso(line, offset, length);
        return NONE;
    }

    /** The time of 24 hex TAI64N digits at {@code at}, or {@link #NONE}. */
    static long parseTai64n(byte[] text, int at) {
        long label = 0;
        long nanos = 0;
        for (int i = 0; i < 24; i++) {
            int digit = Character.digit(text[at + i], 16);
            if (digit < 0) return NONE;
            if (i < 16) label = label << 4 | digit;
            else nanos = nanos << 4 | digit;
        }
        if (nanos >= NANOS_PER_SECOND) return NONE;
        return (label - TAI_EPOCH) * NANOS_PER_SECOND + nanos;
    }

    private static long parseIso(byte[] s, int at, int length) {
        int end = at + length;
        if (s[at + 4] != '-' || s[at + 7] != '-' || s[at + 13] != ':' || s[at + 16] != ':') return NONE;
        byte separator = s[at + 10];
        if (separator != 'T' && separator != '_' && separator != ' ') return NONE;
        int year = digits(s, at, 4), month = digits(s, at + 5, 2), day = digits(s, at + 8, 2);
        int hour = digits(s, at + 11, 2), minute = digits(s, at + 14, 2), second = digits(s, at + 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
                || minute > 59 || second < 0 || second > 60) {
            return NONE;
        }
        int i = at + 19;
        long nanos = 0;
        if (i < end && s[i] == '.') {
            long scale = NANOS_PER_SECOND;
            for (i++; i < end && isDigit(s[i]); i++) {
                scale /= 10;
                nanos += (s[i] - '0') * scale;
            }
        }
        long offsetSeconds = 0;
        if (i < end && (s[i] == '+' || s[i] == '-') && i + 6 <= end && s[i + 3] == ':') {
            int hours = digits(s, i + 1, 2), minutes = digits(s, i + 4, 2);
            if (hours < 0 || minutes < 0) return NONE;
            offsetSeconds = (s[i] == '+' ? 1 : -1) * (hours * 3600L + minutes * 60L);
        }
        long seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds;
        return seconds * NANOS_PER_SECOND + nanos;
    }

    private static int digits(byte[] s, int at, int count) {
        int value = 0;
        for (int i = 0; i < count; i++) {
            if (!isDigit(s[at + i])) return -1;
            value = value * 10 + s[at + i] - '0';
        }
        return value;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Hinnant's days-from-civil, the inverse of the conversion in {@link #iso}. */
    private static long daysFromCivil(long year, int month, int day) {
        year -= month <= 2 ? 1 : 0;
        long era = Math.floorDiv(year, 400);
        long yearOfEra = year - era * 400;
        long dayOfYear = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }
}
