package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Child processes after {@link Spawn}: pidfds, signals, reaping. A pidfd names one process for good, so signals
 * sent through it can never hit a later process that reused the pid; keep the pidfd from spawn to reap.
 */
public final class Children {
    private Children() {}

    /** The generic syscall numbers, the same on x86-64 and aarch64; glibc only wraps these since 2.36. */
    private static final long SYS_PIDFD_SEND_SIGNAL = 424, SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438;
    /** pidfd_open's flag for a pidfd of one thread rather than of a whole process (Linux 6.9). */
    private static final int PIDFD_THREAD = 0x80; // O_EXCL
    private static final int P_ALL = 0, P_PID = 1, WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000;
    private static final int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    /** siginfo_t is 128 bytes; these offsets hold for SIGCHLD on 64-bit Linux. */
    private static final long SIGINFO_SIZE = 128, SI_CODE = 8, SI_PID = 16, SI_STATUS = 24;

    /**
     * long syscall(long number, ...) and int prctl(int option, ...): every argument passed as a long, unused ones
     * as 0; of one shape, so they share the JDK's classes for it.
     */
    private static final MethodHandle SYSCALL = Native.linkVariadicErrno("syscall", 5, 1);
    private static final MethodHandle PRCTL = Native.linkVariadicErrno("prctl", 5, 1);
    private static final MethodHandle WAITID = Native.linkErrno("waitid", 4);
    private static final MethodHandle KILL = Native.linkErrno("kill", 2);
    private static final MethodHandle GETPID = Native.link("getpid", 0);
    private static final MethodHandle GETUID = Native.link("getuid", 0);

    /**
     * A pidfd (close-on-exec) for {@code pid}; it becomes readable when the process exits.
     *
     * @throws OsException ESRCH if there is no such process, ENOSYS before Linux 5.3
     */
    public static int pidfdOpen(int pid) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        long fd = syscall(slot, SYS_PIDFD_OPEN, pid, 0);
        if (fd < 0) throw new OsException("pidfd_open", String.valueOf(pid), Native.errno(slot));
        return (int) fd;
    }

    /** A pidfd (close-on-exec) for the thread {@code tid} of this process; Linux 6.9 and later. */
    public static int pidfdOpenThread(int tid) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        long fd = syscall(slot, SYS_PIDFD_OPEN, tid, PIDFD_THREAD);
        if (fd < 0) throw new OsException("pidfd_open", "thread " + tid, Native.errno(slot));
        return (int) fd;
    }

    /**
     * A copy (close-on-exec) in the calling thread's file table of {@code fd} as it is in the file table of the
     * task behind {@code pidfd}: the same open file, as dup would give. Threads of this process may hold tables
     * of their own (see {@link Spawner}); this moves an fd between them.
     */
    public static int pidfdGetfd(int pidfd, int fd) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        long copy;
        try {
            copy = (long) SYSCALL.invokeExact(slot, SYS_PIDFD_GETFD, (long) pidfd, (long) fd, 0L, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (copy < 0) throw new OsException("pidfd_getfd", String.valueOf(fd), Native.errno(slot));
        return (int) copy;
    }

    /** Sends {@code signal} to the process behind {@code pidfd}; false if it has already exited. */
    public static boolean pidfdSendSignal(int pidfd, int signal) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        if (syscall(slot, SYS_PIDFD_SEND_SIGNAL, pidfd, signal) == 0) return true;
        int errno = Native.errno(slot);
        if (errno == Errno.ESRCH) return false;
        throw new OsException("pidfd_send_signal", errno);
    }

    /**
     * Sends {@code signal} to {@code pid} through a pidfd of its own, falling back to kill(2) only where pidfds do
     * not exist. Returns false if there is no such process. Only as safe as the pid: the caller must not have reaped
     * it, which is why long-lived owners keep a pidfd instead.
     */
    public static boolean sendSignal(int pid, int signal) throws OsException {
        int pidfd;
        try {
            pidfd = pidfdOpen(pid);
        } catch (OsException e) {
            if (e.errno() == Errno.ESRCH) return false;
            if (e.errno() != Errno.ENOSYS) throw e;
            return kill(pid, signal);
        }
        try {
            return pidfdSendSignal(pidfd, signal);
        } finally {
            Fds.close(pidfd);
        }
    }

    /** Waits at most {@code timeoutMillis} (negative: no limit) for the process behind {@code pidfd} to exit. */
    public static boolean awaitExit(int pidfd, long timeoutMillis) throws OsException {
        return Poll.readable(pidfd, timeoutMillis);
    }

    /** Reaps any one child that has exited, without blocking; empty if none has (or there are no children). */
    public static Optional<Reaped> waitAny() throws OsException {
        return waitid(P_ALL, 0, WEXITED | WNOHANG, true);
    }

    /**
     * Any one child that has exited, left unreaped (WNOWAIT): its /proc entry, its cgroup among them, can still be
     * read; empty if none has (or there are no children).
     */
    public static Optional<Reaped> peekAny() throws OsException {
        return waitid(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT, true);
    }

    /** Whether this process has any child, running or exited but not reaped yet; reaps none. */
    public static boolean hasChildren() throws OsException {
        try {
            waitid(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT, false);
            return true;
        } catch (OsException e) {
            if (e.errno() == Errno.ECHILD) return false;
            throw e;
        }
    }

    /**
     * Reaps {@code pid} once it has exited; with {@code block} false, empty if it is still running.
     *
     * @throws OsException ECHILD if {@code pid} is not an unreaped child of this process
     */
    public static Optional<ExitStatus> waitPid(int pid, boolean block) throws OsException {
        return waitid(P_PID, pid, WEXITED | (block ? 0 : WNOHANG), false).map(Reaped::status);
    }

    /** Makes orphaned descendants (double-forking daemons) children of this process rather than of init. */
    public static void setChildSubreaper() throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) PRCTL.invokeExact(slot, (long) PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
            if (rc < 0) throw new OsException("prctl PR_SET_CHILD_SUBREAPER", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int getpid() {
        try {
            return (int) (long) GETPID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int getuid() {
        try {
            return (int) (long) GETUID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Sends {@code signal} to every process in the process group {@code pgid} (kill(-pgid)); false if the group
     * is empty. A group id is not reused while any process is in the group, so this cannot hit a stranger.
     */
    public static boolean signalGroup(int pgid, int signal) throws OsException {
        if (pgid <= 1) throw new IllegalArgumentException("not a process group: " + pgid);
        return kill(-pgid, signal);
    }

    /**
     * Sends {@code signal} to every process but this one (kill(-1)): init's last word at shutdown. Only PID 1 may,
     * so that nothing but an init (of the machine, or of a PID namespace) can ever signal the whole system.
     *
     * @return false if there was no process left to signal
     */
    public static boolean signalEveryOtherProcess(int signal) throws OsException {
        if (getpid() != 1) throw new IllegalStateException("only PID 1 signals every process");
        return kill(-1, signal);
    }

    private static boolean kill(int pid, int signal) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            if ((int) (long) KILL.invokeExact(slot, (long) pid, (long) signal) == 0) return true;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        int errno = Native.errno(slot);
        if (errno == Errno.ESRCH) return false;
        throw new OsException("kill", errno);
    }

    private static long syscall(MemorySegment slot, long number, long a, long b) {
        try {
            return (long) SYSCALL.invokeExact(slot, number, a, b, 0L, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static Optional<Reaped> waitid(int idType, int id, int options, boolean noChildIsEmpty)
            throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO_SIZE, 8); // zeroed: si_pid stays 0 if nothing was ready
            MemorySegment slot = Native.errnoSlot();
            while (true) {
                int rc = (int) (long) WAITID.invokeExact(slot, (long) idType, (long) id, info.address(),
                        (long) options);
                if (rc == 0) break;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.ECHILD && noChildIsEmpty) return Optional.empty();
                throw new OsException("waitid", errno);
            }
            int pid = info.get(ValueLayout.JAVA_INT, SI_PID);
            if (pid == 0) return Optional.empty();
            int code = info.get(ValueLayout.JAVA_INT, SI_CODE);
            int status = info.get(ValueLayout.JAVA_INT, SI_STATUS);
            ExitStatus exit = switch (code) {
                case CLD_EXITED -> ExitStatus.exited(status);
                case CLD_KILLED -> ExitStatus.killed(status);
                case CLD_DUMPED -> new ExitStatus(-1, status, true);
                default -> throw new AssertionError("waitid WEXITED gave si_code " + code);
            };
            return Optional.of(new Reaped(pid, exit));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
