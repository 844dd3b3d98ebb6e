package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * What NIO hides behind its channels: the identity of an open file (so a reader can tell whether the file it holds
 * is still the one a name points to) and positional reads on a plain fd.
 */
public final class RegularFiles {
    private RegularFiles() {}

    /** An inode and what it held when asked; {@code mode} includes the file type bits. */
    public record Status(long device, long inode, long size, int mode) {
        public static final int S_IFMT = 0170000, S_IFREG = 0100000, S_IXUSR = 0100;

        /** True if both name the same file: same device and inode. */
        public boolean sameFile(Status other) {
            return device == other.device && inode == other.inode;
        }
    }

    private static final int AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** struct statx is the same on every architecture, unlike struct stat: 256 bytes, fields at fixed offsets. */
    private static final long STATX_SIZE = 256, STX_MODE = 28, STX_INO = 32, STX_SIZE = 40, STX_DEV_MAJOR = 136,
            STX_DEV_MINOR = 140;

    private static final MethodHandle STATX = Native.linkErrno("statx", 5);
    private static final MethodHandle PREAD = Native.linkErrno("pread", 4);

    /** The status of the open file {@code fd}. */
    public static Status status(int fd) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, fd, arena.allocateFrom(""), AT_EMPTY_PATH, "fd " + fd);
        }
    }

    /** The status of {@code path} itself (a symlink is not followed), or null if nothing is there. */
    public static Status status(Path path) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, AT_FDCWD, arena.allocateFrom(path.toString()), AT_SYMLINK_NOFOLLOW, path.toString());
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    private static Status statx(Arena arena, int dirFd, MemorySegment path, int flags, String subject)
            throws OsException {
        MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) STATX.invokeExact(slot, (long) dirFd, path.address(), (long) flags,
                    (long) STATX_BASIC_STATS, buffer.address());
            if (rc < 0) throw new OsException("statx", subject, Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        long device = (long) buffer.get(ValueLayout.JAVA_INT, STX_DEV_MAJOR) << 32
                | Integer.toUnsignedLong(buffer.get(ValueLayout.JAVA_INT, STX_DEV_MINOR));
        long inode = buffer.get(ValueLayout.JAVA_LONG, STX_INO);
        long size = buffer.get(ValueLayout.JAVA_LONG, STX_SIZE);
        return new Status(device, inode, size, Short.toUnsignedInt(buffer.get(ValueLayout.JAVA_SHORT, STX_MODE)));
    }

    /** Reads up to {@code length} bytes at {@code offset} without moving the fd's position: the count, 0 at EOF. */
    public static long pread(int fd, MemorySegment buffer, long length, long offset) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            long address = Native.address(buffer);
            while (true) {
                long n = (long) PREAD.invokeExact(slot, (long) fd, address, length, offset);
                if (n >= 0) return n;
                int errno = Native.errno(slot);
                if (errno != Errno.EINTR) throw new OsException("pread", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
