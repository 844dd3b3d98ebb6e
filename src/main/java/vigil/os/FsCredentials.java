package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * File-system work done as another user: a checker that runs as root must not answer with what only root can see
 * (whether a path exists inside a directory the user cannot enter). Linux keeps credentials per thread, so a fresh
 * thread takes the user's fsuid, fsgid and supplementary groups, does the work, and ends: nothing else ever runs
 * with them, and no other thread of the daemon is touched. The kernel then answers every path lookup, stat and
 * open as it would for that user, ACLs included; moving fsuid off 0 also drops the file capabilities
 * (CAP_DAC_OVERRIDE and the like) from the thread's effective set.
 */
public final class FsCredentials {
    private FsCredentials() {}

    /*
     * Linked here, beside their one use, as Children links its system calls. glibc's setfsuid and setfsgid change the calling thread only. Its setgroups changes every thread of the process
     * (POSIX wants process-wide ids), so the system call is made directly; its number differs between the two ABIs
     * Vigil runs on.
     */
    private static final MethodHandle SETFSUID = Native.link("setfsuid", 1);
    private static final MethodHandle SETFSGID = Native.link("setfsgid", 1);
    private static final MethodHandle SYSCALL = Native.linkVariadicErrno("syscall", 5, 1);
    private static final long SYS_SETGROUPS = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 116;
        case "aarch64" -> 159;
        default -> -1;
    };

    /** Work to do as the user; what it throws is thrown to the caller. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code work} on a fresh thread with the file-system credentials of {@code uid}, {@code gid} and
     * {@code groups}, and returns what it returned. Only a process with CAP_SETUID and CAP_SETGID (root) can.
     *
     * @throws OsException if the thread could not take the credentials (then {@code work} has not run)
     */
    public static <T, E extends Exception> T run(int uid, int gid, List<Integer> groups, Work<T, E> work)
            throws E, OsException {
        CompletableFuture<T> done = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().name("vigil-as-uid-" + uid).daemon().start(() -> {
            try {
                become(uid, gid, groups);
                done.complete(work.run());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    @SuppressWarnings("unchecked")
                    E thrown = (E) rethrowUnchecked(e.getCause());
                    throw thrown;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
            // The thread ends right after completing; its credentials go with it.
            joinUninterruptibly(thread);
        }
    }

    /** Throws what cannot be the work's own exception type as itself; returns the rest to be thrown as E. */
    private static Throwable rethrowUnchecked(Throwable cause) throws OsException {
        switch (cause) {
            case OsException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> {
                return cause;
            }
        }
    }

    private static void become(int uid, int gid, List<Integer> groups) throws OsException {
        if (SYS_SETGROUPS < 0) {
            throw new OsException("setgroups", "no system call number known for " + System.getProperty("os.arch"),
                    Errno.ENOSYS);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, groups.size()));
            for (int i = 0; i < groups.size(); i++) list.setAtIndex(ValueLayout.JAVA_INT, i, groups.get(i));
            MemorySegment slot = Native.errnoSlot();
            long rc = (long) SYSCALL.invokeExact(slot, SYS_SETGROUPS, (long) groups.size(), list.address(), 0L, 0L);
            if (rc != 0) throw new OsException("setgroups", Native.errno(slot));
            // Each returns the id before the call, never an error: asking again with an invalid id (-1) tells
            // whether the change took.
            long ignored = (long) SETFSGID.invokeExact((long) gid);
            if ((int) (long) SETFSGID.invokeExact(-1L) != gid) throw new OsException("setfsgid", Errno.EPERM);
            ignored = (long) SETFSUID.invokeExact((long) uid);
            if ((int) (long) SETFSUID.invokeExact(-1L) != uid) throw new OsException("setfsuid", Errno.EPERM);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
