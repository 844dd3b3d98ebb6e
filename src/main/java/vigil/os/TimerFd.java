package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A non-blocking one-shot timerfd on CLOCK_MONOTONIC, armed at absolute {@link System#nanoTime()} deadlines.
 * HotSpot on Linux reads System.nanoTime() from CLOCK_MONOTONIC, so the two need no conversion (TimerFdTest
 * checks this). Meant for one thread: arming and draining share native buffers.
 */
public final class TimerFd implements AutoCloseable {
    private static final int CLOCK_MONOTONIC = 1, TFD_TIMER_ABSTIME = 1;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private static final MethodHandle TIMERFD_CREATE = Native.linkErrno("timerfd_create", 2);
    private static final MethodHandle TIMERFD_SETTIME = Native.linkErrno("timerfd_settime", 4);

    private final int fd;
    private final Arena arena = Arena.ofShared();
    /** struct itimerspec { timespec it_interval; timespec it_value; }: the interval stays zero (one-shot). */
    private final MemorySegment spec = arena.allocate(32, 8);
    private final MemorySegment count = arena.allocate(8, 8);
    private boolean closed;

    private TimerFd(int fd) {
        this.fd = fd;
    }

    /** A new disarmed timer, non-blocking and close-on-exec. */
    public static TimerFd create() throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int fd = (int) (long) TIMERFD_CREATE.invokeExact(slot, (long) CLOCK_MONOTONIC,
                    (long) (Fds.O_NONBLOCK | Fds.O_CLOEXEC));
            if (fd < 0) throw new OsException("timerfd_create", Native.errno(slot));
            return new TimerFd(fd);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Makes the fd readable once {@code System.nanoTime()} reaches {@code deadlineNanos}, replacing any earlier
     * setting and discarding unread expirations. A deadline already past fires at once.
     */
    public void armAt(long deadlineNanos) throws OsException {
        // An all-zero it_value would disarm the timer: a deadline at or before 0 becomes 1 ns, long past.
        long deadline = Math.max(deadlineNanos, 1);
        set(TFD_TIMER_ABSTIME, deadline / NANOS_PER_SECOND, deadline % NANOS_PER_SECOND);
    }

    /** Stops the timer and discards unread expirations. */
    public void disarm() throws OsException {
        set(0, 0, 0);
    }

    private void set(int flags, long seconds, long nanos) throws OsException {
        spec.set(ValueLayout.JAVA_LONG, 16, seconds);
        spec.set(ValueLayout.JAVA_LONG, 24, nanos);
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) TIMERFD_SETTIME.invokeExact(slot, (long) fd, (long) flags, spec.address(),
                    MemorySegment.NULL.address());
            if (rc < 0) throw new OsException("timerfd_settime", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Reads the expiration count, making the fd unreadable again: 0 if the timer has not fired. */
    public long drain() throws OsException {
        return Fds.read(fd, count, 8) == 8 ? count.get(ValueLayout.JAVA_LONG, 0) : 0;
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(fd);
        arena.close();
    }
}
