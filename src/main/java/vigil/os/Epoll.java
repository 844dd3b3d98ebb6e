package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * An epoll instance with a reused result buffer. Each registered fd is its own epoll_data, so {@link #fd(int)}
 * names what became ready. Meant for one thread: {@link #wait} and the result accessors share the buffer.
 */
public final class Epoll implements AutoCloseable {
    public static final int EPOLLIN = 0x001, EPOLLPRI = 0x002, EPOLLOUT = 0x004, EPOLLERR = 0x008,
            EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000, EPOLLET = 1 << 31;

    /** How many ready fds one {@link #wait} reports; more stay ready and come back on the next call. */
    public static final int MAX_EVENTS = 64;

    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;

    /*
     * struct epoll_event { uint32_t events; epoll_data_t data; } is declared __attribute__((packed)) on x86-64
     * only: there it is 12 bytes with data at offset 4, elsewhere (aarch64, riscv64) 16 bytes with data at 8.
     * The fd goes in the low 32 bits of data, which is the first 4 bytes on these little-endian machines.
     */
    private static final boolean PACKED = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> true;
        default -> false;
    };
    private static final long EVENT_SIZE = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;

    private static final MethodHandle EPOLL_CREATE1 = Native.linkErrno("epoll_create1", 1);
    private static final MethodHandle EPOLL_CTL = Native.linkErrno("epoll_ctl", 4);
    private static final MethodHandle EPOLL_WAIT = Native.linkErrno("epoll_wait", 4);

    private final int epfd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = arena.allocate(EVENT_SIZE * MAX_EVENTS, 8);
    /** The one event epoll_ctl reads; epoll_ctl and wait are confined to one thread, so it is reused too. */
    private final MemorySegment request = arena.allocate(16, 8);
    private int ready;
    private boolean closed;

    private Epoll(int epfd) {
        this.epfd = epfd;
    }

    /** A new close-on-exec epoll instance. */
    public static Epoll create() throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int fd = (int) (long) EPOLL_CREATE1.invokeExact(slot, (long) Fds.O_CLOEXEC);
            if (fd < 0) throw new OsException("epoll_create1", Native.errno(slot));
            return new Epoll(fd);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int fd() {
        return epfd;
    }

    /** Starts watching {@code fd} for {@code events} (EPOLLIN, ...); EEXIST if it is already watched. */
    public void add(int fd, int events) throws OsException {
        control(EPOLL_CTL_ADD, fd, events, "epoll_ctl(ADD)");
    }

    /** Replaces the events watched for {@code fd}. */
    public void modify(int fd, int events) throws OsException {
        control(EPOLL_CTL_MOD, fd, events, "epoll_ctl(MOD)");
    }

    /**
     * Stops watching {@code fd}. Closing an fd removes it too, once no other fd refers to the same open file:
     * then this fails with EBADF (fd closed) or ENOENT (fd number reused), which callers may ignore.
     */
    public void remove(int fd) throws OsException {
        control(EPOLL_CTL_DEL, fd, 0, "epoll_ctl(DEL)");
    }

    private void control(int op, int fd, int events, String call) throws OsException {
        request.set(ValueLayout.JAVA_INT, 0, events);
        request.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, Integer.toUnsignedLong(fd));
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) EPOLL_CTL.invokeExact(slot, (long) epfd, (long) op, (long) fd, request.address());
            if (rc < 0) throw new OsException(call, "fd " + fd, Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: forever, 0: just look) for ready fds and returns how many there are,
     * at most {@link #MAX_EVENTS}; 0 on timeout or when a signal interrupted the wait. Read them with
     * {@link #fd(int)} and {@link #events(int)} before the next call. Pass an int: {@code wait(long)} is
     * Object's.
     */
    public int wait(int timeoutMillis) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int n = (int) (long) EPOLL_WAIT.invokeExact(slot, (long) epfd, events.address(), (long) MAX_EVENTS,
                    (long) timeoutMillis);
            if (n < 0) {
                int errno = Native.errno(slot);
                if (errno != Errno.EINTR) throw new OsException("epoll_wait", errno);
                n = 0;
            }
            ready = n;
            return n;
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The fd of the {@code i}th result of the last {@link #wait}. */
    public int fd(int i) {
        return events.get(ValueLayout.JAVA_INT_UNALIGNED, offset(i) + DATA_OFFSET);
    }

    /** The ready events (EPOLLIN, EPOLLHUP, ...) of the {@code i}th result of the last {@link #wait}. */
    public int events(int i) {
        return events.get(ValueLayout.JAVA_INT_UNALIGNED, offset(i));
    }

    private long offset(int i) {
        if (i < 0 || i >= ready) throw new IndexOutOfBoundsException(i + " of " + ready + " ready");
        return i * EVENT_SIZE;
    }

    /** Closes the epoll fd and frees the buffer; idempotent, but not while another thread is in {@link #wait}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(epfd);
        arena.close();
    }
}
