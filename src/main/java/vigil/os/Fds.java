package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Objects;

/**
 * File descriptors as plain ints: open files, make pipes, read, write, change flags, close. Every fd Vigil makes
 * is close-on-exec, so a spawned child gets only the fds its exec spec hands it.
 */
public final class Fds {
    private Fds() {}

    /** The generic Linux flags; O_DIRECTORY and O_NOFOLLOW are among the few that differ on aarch64. */
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200,
            O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    public static final int O_DIRECTORY = AARCH64 ? 0x4000 : 0x10000, O_NOFOLLOW = AARCH64 ? 0x8000 : 0x20000;

    private static final int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;

    /**
     * open and fcntl are variadic: the mode and the argument must be passed the way C varargs are. fcntl's get
     * commands read no argument, so they pass 0 through the one handle; open and fcntl then share a shape.
     */
    private static final MethodHandle OPEN = Native.linkVariadicErrno("open", 3, 2);
    private static final MethodHandle FCNTL = Native.linkVariadicErrno("fcntl", 3, 2);

    private static final MethodHandle PIPE2 = Native.linkErrno("pipe2", 2);
    private static final MethodHandle READ = Native.linkErrno("read", 3);
    private static final MethodHandle WRITE = Native.linkErrno("write", 3);
    private static final MethodHandle CLOSE = Native.linkErrno("close", 1);

    /** A pipe, close-on-exec, with the given extra flags (e.g. O_NONBLOCK): {read end, write end}. */
    public static int[] pipe(int flags) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) PIPE2.invokeExact(slot, fds.address(), (long) (flags | O_CLOEXEC));
            if (rc < 0) throw new OsException("pipe2", Native.errno(slot));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Opens {@code path} with {@code flags} (O_CLOEXEC is always added) and, if it is created, {@code mode}.
     * EINTR (a FIFO open interrupted by a signal) is retried. The path is passed to the kernel as UTF-8.
     */
    public static int open(Path path, int flags, int mode) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            return open(arena.allocateFrom(path.toString()), flags, mode);
        }
    }

    /** Like {@link #open(Path, int, int)}, for a path already made a NUL-terminated string in native memory. */
    static int open(MemorySegment cPath, int flags, int mode) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            long address = Native.address(cPath);
            while (true) {
                int fd = (int) (long) OPEN.invokeExact(slot, address, (long) (flags | O_CLOEXEC), (long) mode);
                if (fd >= 0) return fd;
                int errno = Native.errno(slot);
                if (errno != Errno.EINTR) throw new OsException("open", cPath.getString(0), errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Turns O_NONBLOCK on or off for the open file description (shared with every dup of it). */
    public static void setNonBlocking(int fd, boolean nonBlocking) throws OsException {
        int flags = fcntl(fd, F_GETFL, 0, "fcntl(F_GETFL)");
        int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags) fcntl(fd, F_SETFL, wanted, "fcntl(F_SETFL)");
    }

    /** Sets or clears FD_CLOEXEC: cleared only on an fd that a child must inherit across execve. */
    public static void setCloseOnExec(int fd, boolean closeOnExec) throws OsException {
        int flags = fcntl(fd, F_GETFD, 0, "fcntl(F_GETFD)");
        int wanted = closeOnExec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        if (wanted != flags) fcntl(fd, F_SETFD, wanted, "fcntl(F_SETFD)");
    }

    /** True if FD_CLOEXEC is set on {@code fd}. */
    public static boolean isCloseOnExec(int fd) throws OsException {
        return (fcntl(fd, F_GETFD, 0, "fcntl(F_GETFD)") & FD_CLOEXEC) != 0;
    }

    /** The file status flags (O_ACCMODE, O_NONBLOCK, O_APPEND, ...) of the open file description. */
    public static int statusFlags(int fd) throws OsException {
        return fcntl(fd, F_GETFL, 0, "fcntl(F_GETFL)");
    }

    private static final long SYS_KCMP = AARCH64 ? 272 : 312;
    private static final long SYS_GETTID = AARCH64 ? 178 : 186;
    private static final long KCMP_FILE = 0;

    /**
     * Whether {@code a} and {@code b} are the same open file description (one is a dup of the other, or both came
     * from the same sent fd), as systemd's same_fd() decides: kcmp(KCMP_FILE) in the calling thread's fd table
     * (Vigil's threads may hold tables of their own); where the kernel has no kcmp, the same inode with the same
     * status flags, which tells a pipe's two ends apart.
     */
    public static boolean sameOpenFile(int a, int b) throws OsException {
        if (a == b) return true;
        MemorySegment slot = Native.errnoSlot();
        long rc;
        try {
            long tid = (long) Native.Kcmp.SYSCALL.invokeExact(slot, SYS_GETTID, 0L, 0L, 0L, 0L, 0L);
            rc = (long) Native.Kcmp.SYSCALL.invokeExact(slot, SYS_KCMP, tid, tid, KCMP_FILE, (long) a, (long) b);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc >= 0) return rc == 0;
        int errno = Native.errno(slot);
        if (errno != Errno.ENOSYS && errno != Errno.EPERM) throw new OsException("kcmp", errno);
        return sameTarget(a, b) && statusFlags(a) == statusFlags(b);
    }

    /** What /proc says each fd of this thread's table is open on ("socket:[1234]", a path) is the same. */
    private static boolean sameTarget(int a, int b) {
        try {
            Path dir = Path.of("/proc/thread-self/fd");
            return java.nio.file.Files.readSymbolicLink(dir.resolve(Integer.toString(a)))
                    .equals(java.nio.file.Files.readSymbolicLink(dir.resolve(Integer.toString(b))));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** fcntl with an int argument (ignored by the get commands): what it returned. */
    private static int fcntl(int fd, int cmd, int arg, String call) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) FCNTL.invokeExact(slot, (long) fd, (long) cmd, (long) arg);
            if (rc < 0) throw new OsException(call, Native.errno(slot));
            return rc;
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
            long address = Native.address(buffer);
            while (true) {
                long n = (long) READ.invokeExact(slot, (long) fd, address, length);
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
            long address = Native.address(buffer);
            while (true) {
                long n = (long) WRITE.invokeExact(slot, (long) fd, address, length);
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

    /**
     * Reads up to {@code length} bytes into {@code dst} at {@code offset}: the count, 0 at EOF, or -1 if a
     * non-blocking fd has nothing now. Copies through native memory, so use the segment form on hot paths.
     */
    public static int read(int fd, byte[] dst, int offset, int length) throws OsException {
        Objects.checkFromIndexSize(offset, length, dst.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(length, 1));
            int n = (int) read(fd, buffer, length);
            if (n > 0) MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, dst, offset, n);
            return n;
        }
    }

    /** Writes up to {@code length} bytes from {@code src} at {@code offset}: the count, or -1 if full. */
    public static int write(int fd, byte[] src, int offset, int length) throws OsException {
        Objects.checkFromIndexSize(offset, length, src.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(length, 1));
            MemorySegment.copy(src, offset, buffer, ValueLayout.JAVA_BYTE, 0, length);
            return (int) write(fd, buffer, length);
        }
    }

    /** Closes the fd. Errors are ignored: Linux releases the fd even when close reports one. */
    public static void close(int fd) {
        if (fd < 0) return;
        try {
            long ignored = (long) CLOSE.invokeExact(Native.errnoSlot(), (long) fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
