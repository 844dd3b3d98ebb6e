package vigil.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import vigil.os.Errno;

/**
 * Vigil's built-in logger for one service: takes the bytes read from the service's output pipe, in chunks of any
 * size, and writes them as stamped lines to a log directory in svlogd's layout (see {@link LogFiles}), rotating by
 * size and age as its {@code config} says.
 *
 * <p>Made for the event loop, and confined to one thread. Nothing blocks but a write(2) to a local file: there is no
 * fsync, no thread and no timer of its own (the loop asks {@link #nextDeadline()} and calls {@link #onDeadline()}).
 * Memory is one fixed buffer however fast the service writes. A line longer than {@link LogOptions#lineMax()} is
 * split into lines whose further pieces start with {@link #CONTINUATION}; nothing is dropped while the disk takes
 * it. When it does not, the oldest rotated files go first (down to the config's {@code N}), then the oldest whole
 * lines in the buffer, so the newest are kept. Problems are {@link LogEvent}s, never exceptions.
 *
 * <p>A line is stamped with the time the chunk holding its first byte arrived. The buffer is written out at the end
 * of every {@link #append} (or when full), so the files are current whenever the loop is idle.
 */
public final class LogWriter implements AutoCloseable {
    /** Starts the text of each further piece of a split line. */
    public static final String CONTINUATION = "...";

    private long linesEnded;

    private static final byte[] MARKER = CONTINUATION.getBytes(StandardCharsets.US_ASCII);
    private static final long RETRY_NANOS = 1_000_000_000L;
    private static final long REPORT_NANOS = 10_000_000_000L;

    /** Input is scanned from a heap copy this big (per writer: part of its fixed memory). */
    private static final int SCRATCH = 8 * 1024;

    private final LogFiles files;
    private final TimestampFormat format;
    private final int lineMax;
    private final WallClock clock;
    private final Consumer<LogEvent> events;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final int capacity;
    /** Room a new line needs: its stamp, a continuation marker, one byte and its newline. */
    private final int minRoom;
    private final byte[] stamp = new byte[32];
    private final MemorySegment stampSegment = MemorySegment.ofArray(stamp);
    private final MemorySegment markerSegment = MemorySegment.ofArray(MARKER);
    private final byte[] scratch = new byte[SCRATCH];
    private long stampTime = Long.MIN_VALUE;
    /** When the call in progress started: the stamp of lines starting in it, and the base of deadlines. */
    private long now;

    // The buffer holds [0, written) already in current, [written, complete) whole lines waiting to be written and
    // [complete, fill) the line still being received.
    private int written;
    private int complete;
    private int fill;
    /** Whether [complete, fill) holds a line (its stamp at least). */
    private boolean inLine;
    /** Text bytes in the line being received, marker included; at most lineMax. */
    private int lineLength;
    /** The next line is the next piece of a split one. */
    private boolean continues;
    /** current ends in the middle of the line at {@code written}: a short write. That line must not be dropped. */
    private boolean headPartial;

    private long ageDeadline = Long.MAX_VALUE;
    /** Non-null while writes fail: why. */
    private String failure;
    private long retryAt = Long.MAX_VALUE;
    private long droppedUnreported;
    private long lastDropReport;
    private boolean dropReported;
    private boolean closed;

    private LogWriter(LogFiles files, LogOptions options, WallClock clock, Consumer<LogEvent> events, long now) {
        this.files = files;
        this.format = options.timestamps();
        this.lineMax = options.lineMax();
        this.clock = clock;
        this.events = events;
        this.capacity = options.bufferSize();
        this.buffer = arena.allocate(capacity, 8);
        this.minRoom = format.width() + MARKER.length + 2;
        this.now = now;
        resetAgeDeadline();
    }

    /**
     * Opens (creating it if need be) and locks the log directory {@code dir}.
     *
     * @param events receives every problem and notice, on the calling thread
     * @throws LogLockedException if another logger holds the directory
     * @throws IOException if the directory cannot be made or read
     */
    public static LogWriter open(Path dir, LogOptions options, WallClock clock, Consumer<LogEvent> events)
            throws IOException {
        return open(dir, options, clock, LogOwner.KEEP, events);
    }

    /**
     * As {@link #open(Path, LogOptions, WallClock, Consumer)}, giving the files to {@code owner}.
     *
     * @throws vigil.os.ForeignDirectoryException if the directory belongs to another user than root or this
     *                                            process's
     */
    public static LogWriter open(Path dir, LogOptions options, WallClock clock, LogOwner owner,
                                 Consumer<LogEvent> events) throws IOException {
        Objects.requireNonNull(options);
        Objects.requireNonNull(owner);
        Objects.requireNonNull(events);
        long now = clock.epochNanos();
        return new LogWriter(LogFiles.open(dir, now, owner, events), options, clock, events, now);
    }

    /** Lines ended so far (a line split for length counts once per piece), for the metrics of its service. */
    public long linesEnded() {
        return linesEnded;
    }

    /** Logs the first {@code length} bytes of {@code chunk}: any bytes, not necessarily whole lines. */
    public void append(MemorySegment chunk, long length) {
        checkOpen();
        Objects.checkFromIndexSize(0, length, chunk.byteSize());
        if (length == 0) return;
        now = clock.epochNanos();
        if (now >= ageDeadline) rotateNow();
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, scratch.length);
            MemorySegment.copy(chunk, ValueLayout.JAVA_BYTE, done, scratch, 0, n);
            appendScratch(n);
            done += n;
        }
        flush();
    }

    /** Logs the first {@code length} bytes of {@link #scratch}. */
    private void appendScratch(int length) {
        int pos = 0;
        while (pos < length) {
            if (capacity - fill < minRoom) makeRoom();
            if (!inLine) startLine();
            if (lineLength == lineMax) {
                // The line is full: a newline now ends it as usual, anything else continues it on a new line.
                boolean newline = scratch[pos] == '\n';
                if (newline) pos++;
                buffer.set(ValueLayout.JAVA_BYTE, fill++, (byte) '\n');
                endLine(!newline);
                continue;
            }
            // One byte is kept back so that the line can always be ended with a newline.
            int limit = Math.min(length - pos, Math.min(capacity - fill - 1, lineMax - lineLength));
            int copied = copyLine(pos, limit);
            if (copied < 0) {
                pos -= copied;
                fill -= copied;
                endLine(false);
            } else {
                pos += copied;
                fill += copied;
                lineLength += copied;
            }
        }
    }

    /** Logs {@code length} bytes of {@code bytes} from {@code offset}. */
    public void append(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        append(MemorySegment.ofArray(bytes).asSlice(offset, length), length);
    }

    /**
     * Ends the line in progress, if any, with a newline, and writes it. Call when the service has exited and its
     * pipe has been read empty, so that its last words are not held back or glued to the next run's first line.
     */
    public void flushPartial() {
        checkOpen();
        now = clock.epochNanos();
        if (inLine) {
            buffer.set(ValueLayout.JAVA_BYTE, fill++, (byte) '\n');
            endLine(false);
        }
        continues = false;
        flush();
    }

    /** Rotates now (svlogd's ALRM), if {@code current} holds anything: {@code vigil logs --rotate}. */
    public void rotate() {
        checkOpen();
        now = clock.epochNanos();
        rotateNow();
    }

    /**
     * When {@link #onDeadline()} has work: rotating by age ({@code t} in the config), or retrying a failed write.
     * In {@link WallClock#epochNanos()} time; {@link Long#MAX_VALUE} if never. Changes after any call.
     */
    public long nextDeadline() {
        return Math.min(ageDeadline, failure == null ? Long.MAX_VALUE : retryAt);
    }

    /** Does what is due at {@link #nextDeadline()}; harmless at any other time. */
    public void onDeadline() {
        checkOpen();
        now = clock.epochNanos();
        if (now >= ageDeadline) {
            rotateNow();
        } else if (failure != null && now >= retryAt) {
            flush();
        }
    }

    /** Re-reads the directory's {@code config} (svlogd does on HUP); the age limit counts from now. */
    public void reloadConfig() throws IOException {
        checkOpen();
        now = clock.epochNanos();
        files.reloadConfig();
        resetAgeDeadline();
    }

    /**
     * Ends a partial line, writes what it can, marks {@code current} complete and unlocks the directory. Lines
     * that still cannot be written are reported as dropped.
     */
    @Override
    public void close() {
        if (closed) return;
        flushPartial();
        closed = true;
        if (complete > written) dropped(complete - written);
        if (droppedUnreported > 0) events.accept(new LogEvent.Dropped(failure, droppedUnreported));
        files.close();
        arena.close();
    }

    /**
     * As {@link #close}, but a partial line is not ended: its text is returned instead, for whoever reads the rest
     * of it ({@code daemon-reexec}: the new daemon reads on from the same pipe). Empty if no line is in progress.
     */
    public byte[] closeKeepingPartial() {
        checkOpen();
        byte[] partial = new byte[0];
        if (inLine) {
            partial = buffer.asSlice(fill - lineLength, lineLength).toArray(ValueLayout.JAVA_BYTE);
            // The line, stamp and all, is [complete, fill): it is taken back whole.
            fill = complete;
            inLine = false;
            lineLength = 0;
        }
        close();
        return partial;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("log writer is closed");
    }

    private void resetAgeDeadline() {
        long age = files.config().maxAgeSeconds();
        ageDeadline = age == 0 ? Long.MAX_VALUE : saturatedAdd(now, saturatedMultiply(age, 1_000_000_000L));
    }

    /** a * b for non-negative a and b, or {@link Long#MAX_VALUE} if that overflows. */
    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return high != 0 || low < 0 ? Long.MAX_VALUE : low;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private void startLine() {
        int width = format.width();
        if (width > 0) {
            if (stampTime != now) {
                Timestamps.format(format, now, stamp, 0);
                stampTime = now;
            }
            MemorySegment.copy(stampSegment, 0, buffer, fill, width);
            fill += width;
        }
        lineLength = 0;
        if (continues) {
            MemorySegment.copy(markerSegment, 0, buffer, fill, MARKER.length);
            fill += MARKER.length;
            lineLength = MARKER.length;
        }
        inLine = true;
    }

    /**
     * Copies up to {@code limit} bytes from {@link #scratch} at {@code from} to the buffer at {@code fill}, stopping
     * after a newline. Returns the count copied, negated if the last one was a newline.
     */
    private int copyLine(int from, int limit) {
        // A plain loop over a heap array: the daemon's JVM runs C1 only, which compiles this to a tight loop where
        // a memory segment's accessors would stay calls. The copy is one bulk copy.
        byte[] src = scratch;
        int end = from, stop = from + limit;
        while (end < stop && src[end] != '\n') end++;
        boolean newline = end < stop;
        int n = newline ? end - from + 1 : limit;
        MemorySegment.copy(src, from, buffer, ValueLayout.JAVA_BYTE, fill, n);
        return newline ? -n : n;
    }

    /** The line at [complete, fill) has its newline: rotate first if it would take current past the size limit. */
    private void endLine(boolean split) {
        linesEnded++;
        long maxSize = files.config().maxSize();
        if (maxSize > 0) {
            long fileEnd = files.size() + (complete - written);
            if (fileEnd > 0 && fileEnd + (fill - complete) > maxSize) {
                flush();
                // flush() moved the line to the start of the buffer.
                rotateWritten();
            }
        }
        complete = fill;
        inLine = false;
        continues = split;
    }

    private void rotateNow() {
        flush();
        rotateWritten();
    }

    /** Rotates if everything complete is in current; a half-written line must be finished in the same file. */
    private void rotateWritten() {
        if (written == complete && !headPartial) files.rotate(now);
        if (now >= ageDeadline) resetAgeDeadline();
    }

    /** Writes the complete lines, deleting rotated files if the disk is full; on failure keeps them for later. */
    private void flush() {
        while (written < complete) {
            long n = files.write(buffer, written, complete - written);
            if (n > 0) {
                written += (int) n;
                headPartial = buffer.get(ValueLayout.JAVA_BYTE, written - 1) != '\n';
                continue;
            }
            int errno = n == 0 ? Errno.EIO : (int) -n;
            if (errno == Errno.ENOSPC && files.removeOldestForSpace()) continue;
            failing(errno);
            return;
        }
        compact();
        if (failure != null) {
            events.accept(new LogEvent.WritingAgain(droppedUnreported));
            failure = null;
            droppedUnreported = 0;
            dropReported = false;
        }
    }

    private void failing(int errno) {
        retryAt = saturatedAdd(now, RETRY_NANOS);
        if (failure == null) {
            failure = LogFiles.reason(errno);
            events.accept(new LogEvent.WriteFailing(failure));
        }
    }

    /** Moves what is not yet written to the start of the buffer. */
    private void compact() {
        if (written == 0) return;
        MemorySegment.copy(buffer, written, buffer, 0, fill - written);
        complete -= written;
        fill -= written;
        written = 0;
    }

    /**
     * Makes room for a new line: writes the complete lines, or, if current cannot take them, drops the oldest
     * whole lines, a quarter of the buffer at a time so that a long outage does not drop line by line.
     */
    private void makeRoom() {
        flush();
        compact();
        if (capacity - fill >= minRoom) return;
        int from = headPartial ? after(0) : 0;
        int wanted = Math.max(minRoom - (capacity - fill), capacity / 4);
        int to = from;
        while (to < complete && to - from < wanted) to = after(to);
        MemorySegment.copy(buffer, to, buffer, from, fill - to);
        complete -= to - from;
        fill -= to - from;
        dropped(to - from);
        // The buffer is at least four longest lines; only one half-written and one incomplete line cannot go.
        if (capacity - fill < minRoom) throw new AssertionError("log buffer too small to make progress");
    }

    /** The index after the newline ending the complete line at {@code from}. */
    private int after(int from) {
        int i = from;
        while (buffer.get(ValueLayout.JAVA_BYTE, i) != '\n') i++;
        return i + 1;
    }

    private void dropped(long bytes) {
        droppedUnreported += bytes;
        if (!dropReported || now - lastDropReport >= REPORT_NANOS) {
            events.accept(new LogEvent.Dropped(failure, droppedUnreported));
            droppedUnreported = 0;
            dropReported = true;
            lastDropReport = now;
        }
    }
}
