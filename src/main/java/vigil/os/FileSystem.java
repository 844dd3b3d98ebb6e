package vigil.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * File-system calls Java's NIO does not offer: flock(2) locks, FIFOs, and replacing a small file by write-then-
 * rename from memory the caller prepared once. Every fd it opens is close-on-exec.
 */
public final class FileSystem {
    private FileSystem() {}

    public static final int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    private static final int O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_APPEND = 0x400;
    private static final int S_IFMT = 0170000, S_IFIFO = 0010000;

    private static final MethodHandle FLOCK = Native.linkErrno("flock", 2);
    private static final MethodHandle MKFIFO = Native.linkErrno("mkfifo", 2);
    private static final MethodHandle PWRITE = Native.linkErrno("pwrite", 4);
    private static final MethodHandle FTRUNCATE = Native.linkErrno("ftruncate", 2);

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

    /**
     * Opens a FIFO for reading and writing, non-blocking. On Linux this never blocks and never fails with ENXIO:
     * the fd is a reader, so writers can open the FIFO, and a writer, so reading it never sees end-of-file.
     */
    public static int openFifo(Path path) throws OsException {
        return Fds.open(path, O_RDWR | Fds.O_NONBLOCK, 0);
    }

    /** Opens (creating with the mode, less the umask) a file to hold a {@link #flock} on, as runit does. */
    public static int openLockFile(Path path, int mode) throws OsException {
        return Fds.open(path, O_WRONLY | O_APPEND | O_CREAT, mode);
    }

    /**
     * Overwrites {@code path} in place with {@code length} bytes of {@code data} (creating it with the mode), and
     * truncates it if it may have been longer: open, pwrite, close. Not runsv's write-then-rename: on ext4 every
     * rename costs a journal commit (~0.5 ms measured here, against ~6 us for this), and a 20-byte status that
     * keeps its size is read whole by any reader anyway. No fsync: this is run-time state, rewritten on every
     * change. The path is a NUL-terminated string the caller made once, so a rewrite allocates nothing.
     *
     * @param previousLength what the file held before, or -1 if unknown
     */
    public static void overwrite(MemorySegment path, MemorySegment data, long length, long previousLength, int mode)
            throws OsException {
        int fd = Fds.open(path, O_WRONLY | O_CREAT, mode);
        MemorySegment slot = Native.errnoSlot();
        try {
            long rc = (long) PWRITE.invokeExact(slot, (long) fd, Native.address(data), length, 0L);
            if (rc < 0) throw new OsException("write", path.getString(0), Native.errno(slot));
            if (rc < length) throw new OsException("write", path.getString(0), Errno.ENOSPC);
            if (previousLength < 0 || length < previousLength) {
                int truncated = (int) (long) FTRUNCATE.invokeExact(slot, (long) fd, length);
                if (truncated < 0) throw new OsException("ftruncate", path.getString(0), Native.errno(slot));
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Fds.close(fd);
        }
    }

    private static boolean isFifo(Path path) throws IOException {
        return ((Integer) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFIFO;
    }
}
