package vigil.unit;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;

/**
 * A systemd time span in microseconds, or infinity (systemd.time(7)).
 *
 * <p>Syntax: {@code infinity}, or one or more parts that add up, each a non-negative number (a fraction is allowed)
 * followed, optionally after blanks, by a unit: {@code us usec µs ms msec s sec second seconds m min minute
 * minutes h hr hour hours d day days w week weeks M month months y year years}. A part without a unit is in
 * seconds (or whatever unit the directive says). Blanks between parts are optional: {@code 1min 30s},
 * {@code 1min30s} and {@code 90} are the same.
 */
public record TimeSpan(long micros) implements Comparable<TimeSpan> {
    public static final TimeSpan INFINITY = new TimeSpan(Long.MAX_VALUE);
    public static final TimeSpan ZERO = new TimeSpan(0);

    private static final long US = 1, MS = 1000 * US, S = 1000 * MS, MIN = 60 * S, H = 60 * MIN, D = 24 * H,
            W = 7 * D, MONTH = 2_629_800 * S, YEAR = 31_557_600 * S;

    /** Suffixes in systemd's order: the first one the text starts with wins ({@code ms} before {@code m}). */
    private static final String[] SUFFIXES = {
        "seconds", "second", "sec", "s", "minutes", "minute", "min", "months", "month", "M", "msec", "ms", "m",
        "hours", "hour", "hr", "h", "days", "day", "d", "weeks", "week", "w", "years", "year", "y", "usec", "us",
        "\u03bcs", "\u00b5s"
    };
    private static final long[] MULTIPLIERS = {
        S, S, S, S, MIN, MIN, MIN, MONTH, MONTH, MONTH, MS, MS, MIN, H, H, H, H, D, D, D, W, W, W, YEAR, YEAR, YEAR,
        US, US, US, US
    };

    public TimeSpan {
        if (micros < 0) throw new IllegalArgumentException("negative time span");
    }

    public static TimeSpan ofSeconds(long seconds) {
        return new TimeSpan(Math.multiplyExact(seconds, S));
    }

    public static TimeSpan ofMillis(long millis) {
        return new TimeSpan(Math.multiplyExact(millis, MS));
    }

    /** Parses with seconds as the unit of a bare number. */
    public static TimeSpan parse(String text) throws InvalidValueException {
        return parse(text, S);
    }

    /** Parses with {@code defaultUnit} microseconds as the unit of a bare number. */
    public static TimeSpan parse(String text, long defaultUnit) throws InvalidValueException {
        String t = Parser.strip(text);
        if (t.startsWith("infinity")) {
            if (!Parser.strip(t.substring("infinity".length())).isEmpty()) throw invalid(text);
            return INFINITY;
        }
        if (t.isEmpty()) throw new InvalidValueException("empty time span");
        BigInteger total = BigInteger.ZERO;
        int p = 0;
        int n = t.length();
        while (true) {
            while (p < n && Lexer.isBlank(t.charAt(p))) p++;
            if (p >= n) break;
            if (t.charAt(p) == '-') throw new InvalidValueException("negative time span '" + text + "'");
            int start = p;
            while (p < n && isDigit(t.charAt(p))) p++;
            boolean fraction = p < n && t.charAt(p) == '.';
            if (fraction) {
                p++;
                while (p < n && isDigit(t.charAt(p))) p++;
            }
            String number = t.substring(start, p);
            if (number.isEmpty() || number.equals(".")) throw invalid(text);
            int unitStart = p;
            while (unitStart < n && Lexer.isBlank(t.charAt(unitStart))) unitStart++;
            long multiplier = defaultUnit;
            int unitEnd = unitStart;
            for (int i = 0; i < SUFFIXES.length; i++) {
                if (t.startsWith(SUFFIXES[i], unitStart)) {
                    multiplier = MULTIPLIERS[i];
                    unitEnd = unitStart + SUFFIXES[i].length();
                    break;
                }
            }
            // "12.34.56" is not a time span, though "12.34 .56" and "12.34s.56" add up.
            if (unitEnd == unitStart && unitStart == p && p < n) throw invalid(text);
            p = unitEnd;
            total = total.add(new BigDecimal(number.endsWith(".") ? number + "0" : number)
                    .multiply(BigDecimal.valueOf(multiplier)).toBigInteger());
        }
        if (total.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) >= 0) {
            throw new InvalidValueException("time span '" + text + "' is too large");
        }
        return new TimeSpan(total.longValueExact());
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static InvalidValueException invalid(String text) {
        return new InvalidValueException("'" + text + "' is not a time span (like 90, 1min 30s, 500ms or infinity)");
    }

    public boolean isInfinite() {
        return micros == Long.MAX_VALUE;
    }

    /** The span as a Duration; not for {@link #INFINITY}. */
    public Duration toDuration() {
        if (isInfinite()) throw new IllegalStateException("an infinite time span has no Duration");
        return Duration.ofSeconds(micros / S, micros % S * 1000);
    }

    @Override
    public int compareTo(TimeSpan other) {
        return Long.compare(micros, other.micros);
    }

    /** As systemd prints spans: {@code 1min 30s}, {@code 100ms}, {@code infinity}. */
    @Override
    public String toString() {
        if (isInfinite()) return "infinity";
        if (micros == 0) return "0";
        String[] names = {"y", "month", "w", "d", "h", "min", "s", "ms", "us"};
        long[] units = {YEAR, MONTH, W, D, H, MIN, S, MS, US};
        var out = new StringBuilder();
        long left = micros;
        for (int i = 0; i < units.length && left > 0; i++) {
            if (left >= units[i]) {
                if (!out.isEmpty()) out.append(' ');
                out.append(left / units[i]).append(names[i]);
                left %= units[i];
            }
        }
        return out.toString();
    }
}
