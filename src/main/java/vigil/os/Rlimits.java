package vigil.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Vigil's own resource limits. A supervisor holds several fds per service (pidfd, log pipe, FIFOs, readiness
 * pipe), so the open-files soft limit (often 1024) must go up, while children should get the limit Vigil started
 * with, since some programs still use select(2) and break on fds over 1023.
 *
 * <p>HotSpot already raises the soft limit to the hard one before main runs (-XX:+MaxFDLimit, the default on
 * Linux), so {@link #raiseOpenFilesLimit()} sees the original soft limit only if the JVM runs with
 * {@code -XX:-MaxFDLimit}.
 */
public final class Rlimits {
    private Rlimits() {}

    /** rlim_t's RLIM_INFINITY, all ones, as a Java long. */
    public static final long INFINITY = -1L;

    private static final int RLIMIT_NOFILE = 7;
    /** What root raises both limits to, bounded by fs.nr_open: enough for any supervisor, cheap for the kernel. */
    private static final long ROOT_TARGET = 1 << 20;

    private static final MethodHandle GETRLIMIT = Native.linkErrno("getrlimit", 2);
    private static final MethodHandle SETRLIMIT = Native.linkErrno("setrlimit", 2);

    /** A soft and hard limit pair, as struct rlimit holds it; {@link #INFINITY} for unlimited. */
    public record Limit(long soft, long hard) {}

    /** The current RLIMIT_NOFILE. */
    public static Limit openFiles() throws OsException {
        return get(RLIMIT_NOFILE);
    }

    /** Sets RLIMIT_NOFILE, e.g. back to what {@link #raiseOpenFilesLimit()} returned. */
    public static void setOpenFiles(Limit limit) throws OsException {
        set(RLIMIT_NOFILE, limit);
    }

    /**
     * Raises RLIMIT_NOFILE's soft limit to its hard limit; with CAP_SYS_RESOURCE, first raises both to
     * min(fs.nr_open, 2^20) if that is higher. Returns the limits as they were before, for children.
     */
    public static Limit raiseOpenFilesLimit() throws OsException {
        Limit original = get(RLIMIT_NOFILE);
        long target = Math.min(nrOpen(), ROOT_TARGET);
        if (Long.compareUnsigned(target, original.hard()) > 0) {
            try {
                set(RLIMIT_NOFILE, new Limit(target, target));
                return original;
            } catch (OsException e) {
                // Not privileged: EPERM. The soft limit can still go up to the hard one.
                if (e.errno() != Errno.EPERM) throw e;
            }
        }
        if (Long.compareUnsigned(original.soft(), original.hard()) < 0) {
            set(RLIMIT_NOFILE, new Limit(original.hard(), original.hard()));
        }
        return original;
    }

    /** fs.nr_open, the ceiling on RLIMIT_NOFILE even for root; the kernel's default if it cannot be read. */
    private static long nrOpen() {
        try {
            // By lines: some kernels (gVisor's) give a /proc/sys file a size of 1, and readString reads only that.
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/fs/nr_open")).getFirst().strip());
        } catch (IOException | RuntimeException e) {
            return 1 << 20;
        }
    }

    /** The current limits of {@code resource} (an RLIMIT_* number) for Vigil, which its children inherit. */
    public static Limit of(int resource) throws OsException {
        return get(resource);
    }

    /**
     * Whether Vigil may raise the hard limit of {@code resource} (CAP_SYS_RESOURCE in the initial user namespace:
     * root in a container may not). Found by trying one above the current hard limit and putting it back at once,
     * which lowering always allows; true for a limit that is infinite already.
     */
    public static boolean mayRaiseHard(int resource) throws OsException {
        Limit now = get(resource);
        if (now.hard() == INFINITY) return true;
        try {
            set(resource, new Limit(now.soft(), now.hard() + 1));
        } catch (OsException e) {
            if (e.errno() == Errno.EPERM) return false;
            throw e;
        }
        set(resource, now);
        return true;
    }

    private static Limit get(int resource) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlimit = arena.allocate(16, 8);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) GETRLIMIT.invokeExact(slot, (long) resource, rlimit.address());
            if (rc < 0) throw new OsException("getrlimit", Native.errno(slot));
            return new Limit(rlimit.get(ValueLayout.JAVA_LONG, 0), rlimit.get(ValueLayout.JAVA_LONG, 8));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void set(int resource, Limit limit) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlimit = arena.allocate(16, 8);
            rlimit.set(ValueLayout.JAVA_LONG, 0, limit.soft());
            rlimit.set(ValueLayout.JAVA_LONG, 8, limit.hard());
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) SETRLIMIT.invokeExact(slot, (long) resource, rlimit.address());
            if (rc < 0) throw new OsException("setrlimit", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
