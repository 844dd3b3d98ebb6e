package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** errno values Vigil reacts to, and their text as strerror gives it. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EEXIST = 17,
            ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ETXTBSY = 26, ENOSPC = 28,
            EPIPE = 32, EROFS = 30, EWOULDBLOCK = EAGAIN, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENOTTY = 25;
    /** Long paths and sockets. */
    public static final int ENAMETOOLONG = 36, EADDRINUSE = 98, ECONNABORTED = 103, ECONNRESET = 104,
            ENOTCONN = 107, ECONNREFUSED = 111;

    private static final MethodHandle STRERROR_R = Native.link("strerror_r", 3);

    /**
     * Whether the failure is a shortage that may pass (out of fds, processes or memory), so the same operation is
     * worth retrying later. Java's own file APIs report errno only as text, so their reason is compared too.
     */
    public static boolean isShortage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OsException os) return isShortage(os.errno());
            if (t instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
                for (int errno : new int[] {EMFILE, ENFILE, ENOMEM, EAGAIN}) {
                    if (fs.getReason().equals(describe(errno))) return true;
                }
            }
        }
        return false;
    }

    public static boolean isShortage(int errno) {
        return errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == EAGAIN;
    }

    /** "No such file or directory" for ENOENT; glibc's GNU strerror_r, so it is thread-safe. */
    public static String describe(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            // GNU strerror_r returns the text: in buf, or a static string of its own.
            long text = (long) STRERROR_R.invokeExact((long) errno, buf.address(), 256L);
            return MemorySegment.ofAddress(text).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
