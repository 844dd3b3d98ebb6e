package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** File descriptors as plain ints: make pipes, read, write, close. Every fd Vigil makes is close-on-exec. */
public final class Fds {
    private Fds() {}

    public static final int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;

    private static final MethodHandle PIPE2 = Native.linkErrno("pipe2",
            FunctionDescriptor.of(Native.C_INT, Native.C_POINTER, Native.C_INT));
    private static final MethodHandle READ = Native.linkErrno("read",
            FunctionDescriptor.of(Native.C_LONG, Native.C_INT, Native.C_POINTER, Native.C_LONG));
    private static final MethodHandle WRITE = Native.linkErrno("write",
            FunctionDescriptor.of(Native.C_LONG, Native.C_INT, Native.C_POINTER, Native.C_LONG));
    private static final MethodHandle CLOSE = Native.linkErrno("close",
            FunctionDescriptor.of(Native.C_INT, Native.C_INT));

    /** A pipe, close-on-exec, with the given extra flags (e.g. O_NONBLOCK): {read end, write end}. */
    public static int[] pipe(int flags) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) PIPE2.invokeExact(slot, fds, flags | O_CLOEXEC);
            if (rc < 0) throw new OsException("pipe2", Native.errno(slot));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Reads up to {@code length} bytes into {@code buffer}. Returns the count, 0 at EOF, or -1 if a non-blocking
     * fd has nothing now (EAGAIN). EINTR is retried.
     */
    public static long read(int fd, MemorySegment buffer, long length) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            while (true) {
                long n = (long) READ.invokeExact(slot, fd, buffer, length);
                if (n >= 0) return n;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN) return -1;
                throw new OsException("read", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Writes up to {@code length} bytes; returns the count, or -1 if a non-blocking fd is full. */
    public static long write(int fd, MemorySegment buffer, long length) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            while (true) {
                long n = (long) WRITE.invokeExact(slot, fd, buffer, length);
                if (n >= 0) return n;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN) return -1;
                throw new OsException("write", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Closes the fd. Errors are ignored: Linux releases the fd even when close reports one. */
    public static void close(int fd) {
        if (fd < 0) return;
        try {
            int ignored = (int) CLOSE.invokeExact(Native.errnoSlot(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
