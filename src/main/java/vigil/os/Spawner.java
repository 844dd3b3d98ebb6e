package vigil.os;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Spawns processes from a thread of its own whose file table is private and nearly empty.
 *
 * <p>A child starts with a copy of the spawning thread's file table, and a supervisor's table holds a few fds per
 * service. Copying them in clone and closing them again in the child before exec costs a few tenths of a
 * microsecond per fd: over a millisecond per spawn with a thousand services, on the path of every restart. So the
 * spawner thread unshares its table when it starts, while few fds are open, and for each spawn takes copies of
 * just the fds the child needs (pidfd_getfd), closing them once the child exists.
 *
 * <p>An fd that children get again and again, such as a log pipe's write end, the spawner can {@link #keep} in a
 * third table, a keeper thread's, from which each spawn copies it. The caller's table is spared an fd per service,
 * the spawner's stays small, and a service's death does not hang its log pipe up: a hang-up woke the event loop in
 * the middle of the dying process's exit, before the exit itself could be reported.
 *
 * <p>Where a table cannot be unshared (a seccomp filter, a kernel before 6.9), spawns run on the caller's thread
 * and kept fds stay in the caller's table.
 */
public final class Spawner implements AutoCloseable {
    /**
     * Signals the two threads leave to others: a SIGCHLD from the death it is about to restart would otherwise
     * land on the sleeping spawner thread. Children get an empty mask anyway.
     */
    private static final List<Integer> LEFT_TO_OTHER_THREADS = List.of(Signals.SIGHUP, Signals.SIGINT,
            Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGALRM, Signals.SIGTERM, Signals.SIGCHLD, Signals.SIGCONT,
            Signals.SIGTSTP, Signals.SIGWINCH, Signals.SIGPWR);

    /**
     * An fd kept for children: name it in an {@link ExecSpec} with {@link ExecSpec.Builder#keptFd}, and
     * {@link #release} it when no child will need it again.
     *
     * @param fd       its number in the keeper's table, or in the caller's where there is no keeper
     * @param inKeeper whether it is in the keeper's table
     */
    public record Kept(int fd, boolean inKeeper) {}

    /** Empty when spawns run on the caller's thread, and once closed. */
    private Optional<PrivateTableThread> spawner;
    /** Empty when kept fds stay in the caller's table, and once closed. */
    private Optional<PrivateTableThread> keeper;
    /** A pidfd of the keeper thread in the spawner's table, or -1. */
    private final int keeperPidfd;
    /** The error pipe of the last spawn, in the spawner's table: closed at the next call, once the caller has it. */
    private int handedOver = -1;

    private Spawner(Optional<PrivateTableThread> spawner, Optional<PrivateTableThread> keeper, int keeperPidfd) {
        this.spawner = spawner;
        this.keeper = keeper;
        this.keeperPidfd = keeperPidfd;
    }

    /** Starts the threads; whatever cannot have a table of its own is done on the caller's thread instead. */
    public static Spawner start() {
        // Class initialisation here, not on the spawner thread: nothing the JVM opens may land in its table.
        Spawn.helper();
        Optional<PrivateTableThread> spawner = PrivateTableThread.start("spawner", LEFT_TO_OTHER_THREADS);
        Optional<PrivateTableThread> keeper = spawner.isEmpty() ? Optional.empty()
                : PrivateTableThread.start("fd-keeper", LEFT_TO_OTHER_THREADS);
        int keeperPidfd = -1;
        if (keeper.isPresent()) {
            try {
                int keeperTid = keeper.get().tid();
                keeperPidfd = spawner.get().call(() -> Children.pidfdOpenThread(keeperTid));
            } catch (OsException e) {
                keeper.get().stop();
                keeper = Optional.empty();
            }
        }
        return new Spawner(spawner, keeper, keeperPidfd);
    }

    /**
     * Closes {@code fds} in the threads' own tables, which began as copies of the process's: fds a daemon took over
     * from before its re-exec must live in the process's table only, or a copy here would keep a pipe from ever
     * reaching EOF. Call right after {@link #start}, before anything is kept.
     */
    public synchronized void forgetInherited(Collection<Integer> fds) throws OsException {
        for (Optional<PrivateTableThread> thread : List.of(spawner, keeper)) {
            if (thread.isEmpty()) continue;
            thread.get().call(() -> {
                fds.forEach(Fds::close);
                return null;
            });
        }
    }

    /** Whether spawns run on a thread with a file table of its own. */
    public boolean hasOwnFileTable() {
        return spawner.isPresent();
    }

    /** The spawner thread's id, for looking at its file table in /proc; empty when spawns run on the caller's. */
    public OptionalInt threadId() {
        return spawner.map(t -> OptionalInt.of(t.tid())).orElse(OptionalInt.empty());
    }

    /** The keeper thread's id, for looking at its file table in /proc; empty when kept fds are the caller's. */
    public OptionalInt keeperThreadId() {
        return keeper.map(t -> OptionalInt.of(t.tid())).orElse(OptionalInt.empty());
    }

    /**
     * Like {@link Spawn#spawn}, from the spawner thread; the returned error pipe, if any, is in the caller's table.
     * One spawn at a time: callers wait for each other.
     */
    public synchronized Spawned spawn(ExecSpec spec) throws OsException {
        if (spawner.isEmpty()) {
            // Only after close(): a kept fd's number is the keeper's, and means nothing in this table.
            if (spec.fds().stream().anyMatch(ExecSpec.FdMapping::kept)) {
                throw new OsException("spawn", "a kept fd, after the spawner was closed", Errno.EBADF);
            }
            return Spawn.spawn(spec);
        }
        PrivateTableThread thread = spawner.get();
        Spawned spawned = thread.call(() -> spawnHere(spec, thread.processPidfd()));
        if (spawned.errorPipeReadFd().isEmpty()) return spawned;
        try {
            return new Spawned(spawned.pid(),
                    OptionalInt.of(Children.pidfdGetfd(thread.pidfd(), spawned.errorPipeReadFd().getAsInt())));
        } catch (OsException e) {
            // The child exists and must be reported; without the pipe an exec failure shows only as exit 111.
            return new Spawned(spawned.pid(), OptionalInt.empty());
        }
    }

    /** An fd in the caller's table or in the keeper's. */
    private record Source(int fd, boolean kept) {
        static Source of(ExecSpec.FdMapping m) {
            return new Source(m.source(), m.kept());
        }
    }

    /** On the spawner thread: copies in the fds the child needs, spawns, and closes the copies. */
    private Spawned spawnHere(ExecSpec spec, int processPidfd) throws OsException {
        Fds.close(handedOver);
        handedOver = -1;
        // One copy per source: stdout and stderr are often the same.
        Map<Source, Integer> copies = new HashMap<>();
        try {
            for (ExecSpec.FdMapping m : spec.fds()) {
                if (!copies.containsKey(Source.of(m))) {
                    copies.put(Source.of(m), Children.pidfdGetfd(m.kept() ? keeperPidfd : processPidfd, m.source()));
                }
            }
            Spawned spawned = Spawn.spawn(spec.withSources(m -> copies.get(Source.of(m))));
            if (spawned.errorPipeReadFd().isPresent()) handedOver = spawned.errorPipeReadFd().getAsInt();
            return spawned;
        } finally {
            copies.values().forEach(Fds::close);
        }
    }

    /**
     * Keeps {@code fd} for the children that {@link ExecSpec.Builder#keptFd} gives it to. The fd is the
     * spawner's from now on: the caller must neither use nor close it.
     */
    public synchronized Kept keep(int fd) throws OsException {
        if (keeper.isEmpty()) return new Kept(fd, false);
        PrivateTableThread thread = keeper.get();
        try {
            return new Kept(thread.call(() -> Children.pidfdGetfd(thread.processPidfd(), fd)), true);
        } finally {
            Fds.close(fd);
        }
    }

    /**
     * A copy of a kept fd in the caller's table (close-on-exec), for {@code daemon-reexec}: the keeper's table
     * does not survive an exec, the process's does.
     */
    public synchronized int copyOut(Kept kept) throws OsException {
        if (kept.inKeeper() && keeper.isPresent()) return Children.pidfdGetfd(keeper.get().pidfd(), kept.fd());
        int self = Children.pidfdOpen(Children.getpid());
        try {
            return Children.pidfdGetfd(self, kept.fd());
        } finally {
            Fds.close(self);
        }
    }

    /** Closes a kept fd: no spawn may name it any more. */
    public synchronized void release(Kept kept) {
        if (!kept.inKeeper()) {
            Fds.close(kept.fd());
            return;
        }
        if (keeper.isEmpty()) return; // closed: the keeper's table went with its thread
        try {
            keeper.get().call(() -> {
                Fds.close(kept.fd());
                return kept;
            });
        } catch (OsException cannotHappen) {
            throw new IllegalStateException(cannotHappen);
        }
    }

    /** Stops the threads, closing the kept fds; later spawns run on the caller's thread. */
    @Override
    public synchronized void close() {
        spawner.ifPresent(PrivateTableThread::stop);
        keeper.ifPresent(PrivateTableThread::stop);
        spawner = Optional.empty();
        keeper = Optional.empty();
    }
}
