package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * poll(2) on one fd, for the few places that wait outside the event loop (one-shot callers, tests, and the HTTP
 * server's threads, which must never block the loop).
 */
public final class Poll {
    private Poll() {}

    private static final short POLLIN = 1, POLLOUT = 4;
    private static final MethodHandle POLL = Native.linkErrno("poll", 3);

    /**
     * Waits until {@code fd} is readable (or at EOF, or hung up), at most {@code timeoutMillis} (negative: no
     * limit). Returns whether it became readable.
     */
    public static boolean readable(int fd, long timeoutMillis) throws OsException {
        return ready(fd, POLLIN, timeoutMillis);
    }

    /** Waits until {@code fd} can take a write (or is hung up), at most {@code timeoutMillis}; whether it can. */
    public static boolean writable(int fd, long timeoutMillis) throws OsException {
        return ready(fd, POLLOUT, timeoutMillis);
    }

    private static boolean ready(int fd, short events, long timeoutMillis) throws OsException {
        long deadline = System.nanoTime() + Math.min(timeoutMillis, Integer.MAX_VALUE) * 1_000_000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, events);
            MemorySegment slot = Native.errnoSlot();
            while (true) {
                int wait = timeoutMillis < 0 ? -1
                        : (int) Math.clamp((deadline - System.nanoTime() + 999_999) / 1_000_000, 0, Integer.MAX_VALUE);
                int n = (int) (long) POLL.invokeExact(slot, pollfd.address(), 1L, (long) wait);
                if (n > 0) return true;
                if (n == 0) return false;
                int errno = Native.errno(slot);
                if (errno != Errno.EINTR) throw new OsException("poll", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
