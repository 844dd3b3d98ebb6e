package vigil.log;

/**
 * How a writer formats and buffers, set for the whole daemon (the {@code config} file sets the directory's limits).
 *
 * @param timestamps the stamp put at the start of each line
 * @param lineMax the most bytes of a line kept on one line of the file, not counting the stamp and the newline.
 *     A longer line is split: each further piece is a line of its own, with its own stamp, whose text starts with
 *     {@link LogWriter#CONTINUATION} ({@code ...}), and which holds at most {@code lineMax} bytes, marker included
 * @param bufferSize the writer's fixed buffer, all the memory a service's log takes however fast it writes;
 *     at least four lines of {@code lineMax} so lines can be dropped whole when the disk is full
 */
public record LogOptions(TimestampFormat timestamps, int lineMax, int bufferSize) {
    public static final int DEFAULT_LINE_MAX = 4096;
    public static final int DEFAULT_BUFFER_SIZE = 32 * 1024;
    public static final LogOptions DEFAULT = new LogOptions(TimestampFormat.ISO, DEFAULT_LINE_MAX, DEFAULT_BUFFER_SIZE);

    public LogOptions {
        if (lineMax <= LogWriter.CONTINUATION.length()) {
            throw new IllegalArgumentException("line length " + lineMax + " is too small");
        }
        if (bufferSize < minimumBuffer(lineMax)) {
            throw new IllegalArgumentException("log buffer " + bufferSize + " is smaller than four lines of "
                    + lineMax + " bytes");
        }
    }

    public LogOptions withTimestamps(TimestampFormat format) {
        return new LogOptions(format, lineMax, bufferSize);
    }

    /** The smallest {@code bufferSize} allowed with {@code lineMax}. */
    public static int minimumBuffer(int lineMax) {
        return 4 * (lineMax + 64);
    }
}
