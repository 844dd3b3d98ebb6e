package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * umount2(2), a read-only remount, swapoff(2) and a loop device's detach: how an init leaves every disk clean
 * before reboot(2).
 */
public final class Mounts {
    private Mounts() {}

    private static final long MS_RDONLY = 1, MS_REMOUNT = 32;
    /** linux/loop.h: detach the loop device from its backing file. */
    private static final long LOOP_CLR_FD = 0x4C01;

    /** Unmounts the file system mounted at {@code path} (the topmost, if several are stacked there). */
    public static void unmount(String path) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try (Arena arena = Arena.ofConfined()) {
            long rc;
            try {
                rc = (long) Native.Unmount.UMOUNT2.invokeExact(slot, Native.address(arena.allocateFrom(path)), 0L);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            check(rc, slot, "umount", path);
        }
    }

    /**
     * Makes the file system at {@code path} read-only: its journal is then clean on the disk. The superblock's
     * flag, not the mount's: the disk is what must be clean.
     */
    public static void remountReadOnly(String path) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try (Arena arena = Arena.ofConfined()) {
            long rc;
            try {
                rc = (long) Native.Unmount.MOUNT.invokeExact(slot, 0L, Native.address(arena.allocateFrom(path)), 0L,
                        MS_REMOUNT | MS_RDONLY, 0L);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            check(rc, slot, "remount read-only", path);
        }
    }

    /** Stops swapping to {@code device} (a partition or a file). */
    public static void swapOff(String device) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try (Arena arena = Arena.ofConfined()) {
            long rc;
            try {
                rc = (long) Native.Unmount.SWAPOFF.invokeExact(slot, Native.address(arena.allocateFrom(device)));
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            check(rc, slot, "swapoff", device);
        }
    }

    /** Detaches the loop device {@code device} (/dev/loopN) from its backing file. */
    public static void detachLoop(String device) throws OsException {
        int fd = Fds.open(Path.of(device), Fds.O_RDONLY, 0);
        try {
            MemorySegment slot = Native.errnoSlot();
            long rc;
            try {
                rc = (long) Native.Unmount.IOCTL.invokeExact(slot, (long) fd, LOOP_CLR_FD, 0L);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            check(rc, slot, "detach loop device", device);
        } finally {
            Fds.close(fd);
        }
    }

    private static void check(long rc, MemorySegment slot, String step, String subject) throws OsException {
        if ((int) rc < 0) throw new OsException(step, subject, Native.errno(slot));
    }
}
