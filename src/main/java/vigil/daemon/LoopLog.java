package vigil.daemon;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import vigil.log.LogEvent;
import vigil.log.LogOptions;
import vigil.log.LogOwner;
import vigil.log.LogWriter;
import vigil.log.WallClock;
import vigil.loop.EventLoop;

/**
 * A {@link LogWriter} driven by the event loop: its deadlines (rotation by age, retrying a failed write) become one
 * loop timer, rescheduled only when the deadline moves, so an idle log never wakes the daemon. Loop thread only.
 */
final class LoopLog implements AutoCloseable {
    private final EventLoop loop;
    private final LogWriter writer;
    private long scheduledFor = Long.MAX_VALUE;
    private EventLoop.Timer timer;
    private boolean closed;

    private LoopLog(EventLoop loop, LogWriter writer) {
        this.loop = loop;
        this.writer = writer;
    }

    /** Opens and locks the log directory {@code dir}, its files given to {@code owner} (see {@link LogWriter#open}). */
    static LoopLog open(EventLoop loop, Path dir, LogOptions options, LogOwner owner, Consumer<LogEvent> events)
            throws IOException {
        LoopLog log = new LoopLog(loop, LogWriter.open(dir, options, WallClock.SYSTEM, owner, events));
        log.reschedule();
        return log;
    }

    void append(MemorySegment chunk, long length) {
        if (closed) return;
        writer.append(chunk, length);
        reschedule();
    }

    /** Lines its writer has ended so far. */
    long lines() {
        return writer.linesEnded();
    }

    /** Ends a partial line: its writer has exited and its pipe was read empty. */
    void flushPartial() {
        if (closed) return;
        writer.flushPartial();
        reschedule();
    }

    /** Rotates now, if {@code current} holds anything ({@code vigil logs --rotate}). */
    void rotate() {
        if (closed) return;
        writer.rotate();
        reschedule();
    }

    /** Closes without ending a partial line, and returns its text (see {@link LogWriter#closeKeepingPartial}). */
    byte[] closeKeepingPartial() {
        if (closed) return new byte[0];
        closed = true;
        if (timer != null) timer.cancel();
        return writer.closeKeepingPartial();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (timer != null) timer.cancel();
        writer.close();
    }

    private void onDeadline() {
        timer = null;
        scheduledFor = Long.MAX_VALUE;
        if (closed) return;
        writer.onDeadline();
        reschedule();
    }

    private void reschedule() {
        long deadline = writer.nextDeadline();
        if (deadline == scheduledFor) return;
        if (timer != null) timer.cancel();
        timer = null;
        scheduledFor = deadline;
        if (deadline == Long.MAX_VALUE) return;
        long delay = Math.max(0, deadline - WallClock.SYSTEM.epochNanos());
        timer = loop.schedule(Duration.ofNanos(delay), this::onDeadline);
    }
}
