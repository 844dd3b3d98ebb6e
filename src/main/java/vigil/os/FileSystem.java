package vigil.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * File-system calls Java's NIO does not offer: flock(2) locks and FIFOs. Files root writes where others may write
 * too are {@link DirFd}'s.
 */
public final class FileSystem {
    private FileSystem() {}

    public static final int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    private static final int S_IFMT = 0170000, S_IFIFO = 0010000;

    private static final MethodHandle FLOCK = Native.linkErrno("flock", 2);
    private static final MethodHandle MKFIFO = Native.linkErrno("mkfifo", 2);

    /**
     * flock(2) on the fd: {@code LOCK_SH}, {@code LOCK_EX} or {@code LOCK_UN}, optionally with {@code LOCK_NB}.
     * These are the locks runit's and daemontools' tools take; {@code FileChannel.lock} takes fcntl locks, which
     * neither side would see. EINTR is retried.
     *
     * @return false if {@code LOCK_NB} was given and another open file holds a conflicting lock
     */
    public static boolean flock(int fd, int operation) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            while (true) {
                int rc = (int) (long) FLOCK.invokeExact(slot, (long) fd, (long) operation);
                if (rc == 0) return true;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EWOULDBLOCK) return false;
                throw new OsException("flock", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Makes a FIFO with the mode (less the umask). One that already exists is fine; anything else there is not. */
    public static void mkfifo(Path path, int mode) throws IOException {
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) MKFIFO.invokeExact(slot, arena.allocateFrom(path.toString()).address(), (long) mode);
            if (rc == 0) return;
            errno = Native.errno(slot);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (errno == Errno.EEXIST && isFifo(path)) return;
        throw new OsException("mkfifo", path.toString(), errno);
    }

    private static boolean isFifo(Path path) throws IOException {
        return ((Integer) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFIFO;
    }
}
