package vigil.log;

/**
 * Which lines of a log to print: of the lines stamped at or after {@code since}, the last {@code lines}.
 *
 * @param lines how many lines from the end; negative for all of them
 * @param since nanoseconds since the epoch, or {@link Long#MIN_VALUE} for no limit. Lines are in time order, so
 *     printing starts at the first line stamped at or after it. A line without a stamp Vigil can read (a log
 *     written without timestamps) counts as matching, so such logs are selected by file: a rotated file whose name
 *     says it was rotated before {@code since} holds only older lines and is skipped
 */
public record LogQuery(int lines, long since) {
    public static final LogQuery ALL = new LogQuery(-1, Long.MIN_VALUE);
}
