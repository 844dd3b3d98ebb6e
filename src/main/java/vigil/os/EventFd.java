package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A non-blocking eventfd used as a wake-up flag: any thread may {@link #signal()}, the owning thread watches
 * {@link #fd()} and {@link #drain()}s it. Signals before a drain coalesce into one readable state.
 */
public final class EventFd implements AutoCloseable {
    private static final MethodHandle EVENTFD = Native.linkErrno("eventfd", 2);

    /** The 8-byte 1 that every signal() writes: only ever read, so all threads may share it. */
    private static final MemorySegment ONE = Arena.global().allocateFrom(ValueLayout.JAVA_LONG, 1L);

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment count = arena.allocate(8, 8);
    private volatile boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A new eventfd with counter 0, non-blocking and close-on-exec. */
    public static EventFd create() throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int fd = (int) (long) EVENTFD.invokeExact(slot, 0L, (long) (Fds.O_NONBLOCK | Fds.O_CLOEXEC));
            if (fd < 0) throw new OsException("eventfd", Native.errno(slot));
            return new EventFd(fd);
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
     * Makes the fd readable. Thread-safe and never blocks: a full counter (2^64-2 unread signals) already means
     * readable, so EAGAIN is ignored. Does nothing once closed, rather than write to a reused fd number.
     */
    public void signal() throws OsException {
        if (!closed) Fds.write(fd, ONE, 8);
    }

    /** Resets the counter, making the fd unreadable again; returns how many signals it held (0 if none). */
    public long drain() throws OsException {
        return Fds.read(fd, count, 8) == 8 ? count.get(ValueLayout.JAVA_LONG, 0) : 0;
    }

    /** Idempotent; no thread may {@link #signal()} afterwards, since the fd number may be reused. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(fd);
        arena.close();
    }
}
