package vigil.log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A log directory's limits, from its optional {@code config} file in svlogd's syntax.
 *
 * <ul>
 *   <li>{@code sSIZE}: rotate {@code current} before a line would take it past SIZE bytes; {@code k} and {@code m}
 *       suffixes multiply by 1024 as in svlogd; 0 never rotates by size. Default 1000000.
 *   <li>{@code nNUM}: keep at most NUM rotated files, deleting the oldest after a rotation; 0 keeps all. Default 10.
 *   <li>{@code NMIN}: when the disk is full, delete the oldest rotated files down to MIN to make room. Default 0:
 *       unlike svlogd (which then stops and waits), Vigil keeps the newest data, so by default every rotated file
 *       may go before a new line is dropped.
 *   <li>{@code tSEC}: rotate a non-empty {@code current} every SEC seconds ({@code m} and {@code h} suffixes);
 *       0 never. Default 0.
 * </ul>
 * Empty lines and lines starting with {@code #} are comments. svlogd's other lines (processors {@code !}, patterns
 * {@code + - e E}, UDP {@code u U}, prefixes {@code p}) and anything else are reported and ignored.
 */
public record LogConfig(long maxSize, int maxFiles, int minFiles, long maxAgeSeconds) {
    public static final LogConfig DEFAULT = new LogConfig(1_000_000, 10, 0, 0);

    public LogConfig {
        if (maxSize < 0 || maxFiles < 0 || minFiles < 0 || maxAgeSeconds < 0) {
            throw new IllegalArgumentException("negative log limit");
        }
    }

    /** A parsed config and the lines it ignored, each with the reason. */
    public record Parsed(LogConfig config, List<LogEvent.ConfigIgnored> ignored) {}

    public static Parsed parse(String text) {
        long size = DEFAULT.maxSize, age = DEFAULT.maxAgeSeconds;
        int files = DEFAULT.maxFiles, min = DEFAULT.minFiles;
        List<LogEvent.ConfigIgnored> ignored = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.stripTrailing();
            if (line.isEmpty() || line.charAt(0) == '#') continue;
            char kind = line.charAt(0);
            if ("stnN".indexOf(kind) < 0) {
                ignored.add(new LogEvent.ConfigIgnored(line, unsupported(kind)));
                continue;
            }
            String value = line.substring(1);
            long parsed = switch (kind) {
                case 's' -> scaled(value, 'k', 1024, 'm', 1024 * 1024);
                case 't' -> scaled(value, 'm', 60, 'h', 3600);
                default -> scaled(value, '\0', 1, '\0', 1);
            };
            if (parsed < 0 || ((kind == 'n' || kind == 'N') && parsed > Integer.MAX_VALUE)) {
                ignored.add(new LogEvent.ConfigIgnored(line, "not a number Vigil can use"));
                continue;
            }
            switch (kind) {
                case 's' -> size = parsed;
                case 't' -> age = parsed;
                case 'n' -> files = (int) parsed;
                default -> min = (int) parsed;
            }
        }
        return new Parsed(new LogConfig(size, files, min, age), List.copyOf(ignored));
    }

    /** Digits with an optional one-letter unit ({@code '\0'}: none); -1 if malformed or too large. */
    private static long scaled(String value, char unit1, long factor1, char unit2, long factor2) {
        int end = 0;
        while (end < value.length() && Character.isDigit(value.charAt(end)) && value.charAt(end) < 128) end++;
        if (end == 0) return -1;
        long factor = 1;
        if (end < value.length()) {
            char unit = value.charAt(end);
            if (unit == unit1 && unit != '\0') factor = factor1;
            else if (unit == unit2 && unit != '\0') factor = factor2;
            else return -1;
            if (end + 1 != value.length()) return -1;
        }
        try {
            return Math.multiplyExact(Long.parseLong(value, 0, end, 10), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            return -1;
        }
    }

    private static String unsupported(char kind) {
        return switch (kind) {
            case '!' -> "processors are not supported by Vigil's logger";
            case '+', '-', 'e', 'E' -> "line selection patterns are not supported by Vigil's logger";
            case 'u', 'U' -> "UDP forwarding is not supported by Vigil's logger";
            case 'p' -> "prefixes are not supported by Vigil's logger";
            default -> "not a config line svlogd or Vigil knows";
        };
    }
}
