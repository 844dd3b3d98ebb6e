package vigil.os;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** sync(2) and reboot(2): how an init ends the system. */
public final class Power {
    private Power() {}

    /** reboot(2)'s commands (linux/reboot.h). */
    public static final int RESTART = 0x01234567, HALT = 0xCDEF0123, POWER_OFF = 0x4321FEDC, CAD_OFF = 0;

    private static final MethodHandle SYNC = Native.link("sync", 0);
    private static final MethodHandle REBOOT = Native.linkErrno("reboot", 1);

    /** Writes every dirty buffer of every file system to its disk. */
    public static void sync() {
        try {
            long ignored = (long) SYNC.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Restarts, halts or powers off the machine, at once: nothing is synced or stopped first. It returns only if it
     * failed. In a PID namespace other than the first, the kernel instead ends the namespace's init: with SIGHUP
     * for {@link #RESTART}, SIGINT for {@link #POWER_OFF} and {@link #HALT}; other commands fail with EINVAL there.
     *
     * @throws OsException EPERM without CAP_SYS_BOOT
     */
    public static void reboot(Ending ending) throws OsException {
        reboot(ending.command());
    }

    /** As {@link #reboot(Ending)}, with reboot(2)'s command itself ({@link #CAD_OFF}, say). */
    public static void reboot(int command) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        int rc;
        try {
            rc = (int) (long) REBOOT.invokeExact(slot, (long) command);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc < 0) throw new OsException("reboot", Native.errno(slot));
    }
}
