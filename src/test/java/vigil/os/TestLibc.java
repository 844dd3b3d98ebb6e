package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** libc calls the tests need but Vigil's os layer does not offer (or offers elsewhere). */
final class TestLibc {
    private TestLibc() {}

    static final int CLOCK_MONOTONIC = 1;
    static final int SA_NOCLDWAIT = 2;

    private static final MethodHandle CLOCK_GETTIME = Native.link("clock_gettime", 2);
    private static final MethodHandle KILL = Native.linkErrno("kill", 2);
    private static final MethodHandle SIGACTION = Native.linkErrno("sigaction", 3);
    private static final MethodHandle POSIX_SPAWN = Native.link("posix_spawn", 6);
    private static final MethodHandle WAITID = Native.linkErrno("waitid", 4);
    private static final MethodHandle WAITPID = Native.linkErrno("waitpid", 3);

    static long clockMonotonicNanos() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(16, 8);
            int rc = (int) (long) CLOCK_GETTIME.invokeExact((long) CLOCK_MONOTONIC, ts.address());
            if (rc != 0) throw new AssertionError("clock_gettime failed");
            return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
        }
    }

    static void kill(long pid, int signal) throws Throwable {
        MemorySegment slot = Native.errnoSlot();
        int rc = (int) (long) KILL.invokeExact(slot, pid, (long) signal);
        if (rc < 0) throw new OsException("kill", Native.errno(slot));
    }

    static void killSelf(int signal) throws Throwable {
        kill(ProcessHandle.current().pid(), signal);
    }

    /** The current disposition of {@code signal}: {handler address, sa_flags}. */
    static long[] sigaction(int signal) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(152, 8);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) SIGACTION.invokeExact(slot, (long) signal, MemorySegment.NULL.address(),
                    old.address());
            if (rc < 0) throw new OsException("sigaction", Native.errno(slot));
            return new long[] {old.get(ValueLayout.JAVA_LONG, 0), old.get(ValueLayout.JAVA_INT, 136)};
        }
    }

    /** Sets {@code signal} to SIG_DFL (0) or SIG_IGN (1). */
    static void setDisposition(int signal, long handler) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment action = arena.allocate(152, 8);
            action.set(ValueLayout.JAVA_LONG, 0, handler);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) SIGACTION.invokeExact(slot, (long) signal, action.address(),
                    MemorySegment.NULL.address());
            if (rc < 0) throw new OsException("sigaction", Native.errno(slot));
        }
    }

    /** posix_spawn of {@code path} with no arguments and an empty environment: the child's pid. */
    static int spawn(String path) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pid = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment cPath = arena.allocateFrom(path);
            MemorySegment argv = arena.allocate(ValueLayout.ADDRESS, 2);
            argv.setAtIndex(ValueLayout.ADDRESS, 0, cPath);
            argv.setAtIndex(ValueLayout.ADDRESS, 1, MemorySegment.NULL);
            MemorySegment envp = arena.allocate(ValueLayout.ADDRESS, 1);
            int rc = (int) (long) POSIX_SPAWN.invokeExact(pid.address(), cPath.address(), MemorySegment.NULL.address(),
                    MemorySegment.NULL.address(), argv.address(), envp.address());
            if (rc != 0) throw new OsException("posix_spawn", rc);
            return pid.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Blocks until child {@code pid} has exited, leaving it unreaped (WNOWAIT). */
    static void awaitExitWithoutReaping(int pid) throws Throwable {
        final int pPid = 1, wExited = 4, wNoWait = 0x01000000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(128, 8);
            MemorySegment slot = Native.errnoSlot();
            int rc;
            do {
                rc = (int) (long) WAITID.invokeExact(slot, (long) pPid, (long) pid, info.address(),
                        (long) (wExited | wNoWait));
            } while (rc < 0 && Native.errno(slot) == Errno.EINTR);
            if (rc < 0) throw new OsException("waitid", Native.errno(slot));
        }
    }

    /** Reaps child {@code pid}, returning its raw wait status. */
    static int reap(int pid) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment slot = Native.errnoSlot();
            int rc;
            do {
                rc = (int) (long) WAITPID.invokeExact(slot, (long) pid, status.address(), 0L);
            } while (rc < 0 && Native.errno(slot) == Errno.EINTR);
            if (rc < 0) throw new OsException("waitpid", Native.errno(slot));
            return status.get(ValueLayout.JAVA_INT, 0);
        }
    }
}
