package vigil.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;

/**
 * Spawns processes from a thread of its own whose file table is private and nearly empty.
 *
 * <p>A child starts with a copy of the spawning thread's file table, and a supervisor's table holds a few fds per
 * service. Copying them in clone and closing them again in the child before exec costs a few tenths of a
 * microsecond per fd: over a millisecond per spawn with a thousand services, on the path of every restart. So the
 * spawner thread unshares its table when it starts, while few fds are open, and for each spawn takes copies of
 * just the fds the child needs (pidfd_getfd), closing them once the child exists.
 *
 * <p>Only {@link Spawn} runs on that thread: an fd the JVM opened there would be invisible to every other thread.
 * Where the table cannot be unshared (a seccomp filter, a kernel before 6.9), spawns run on the caller's thread.
 */
public final class Spawner implements AutoCloseable {
    private static final int CLONE_FILES = 0x400;
    private static final MethodHandle UNSHARE = Native.linkErrno("unshare",
            FunctionDescriptor.of(Native.C_INT, Native.C_INT));
    private static final MethodHandle GETTID = Native.link("gettid", FunctionDescriptor.of(Native.C_INT));

    /** A spawn to make, or the request to stop. */
    private record Request(ExecSpec spec) {
        static final Request STOP = new Request(null);
    }

    private final SynchronousQueue<Request> requests = new SynchronousQueue<>();
    /** A {@link Spawned} whose fds are the spawner thread's, or the {@link OsException} that the spawn threw. */
    private final SynchronousQueue<Object> replies = new SynchronousQueue<>();
    /** Null when spawns run on the caller's thread. */
    private Thread thread;
    private int tid;
    /** A pidfd of the spawner thread, in the shared table: how the caller copies fds the spawner made. */
    private int threadPidfd = -1;

    private Spawner() {}

    /** Starts the spawner thread; if it cannot have a file table of its own, spawns will run on the caller's. */
    public static Spawner start() {
        Spawner spawner = new Spawner();
        spawner.startThread();
        return spawner;
    }

    private void startThread() {
        // Class initialisation on this thread, not the spawner's: nothing the JVM opens may land in its table.
        Spawn.helper();
        Children.getpid();
        var started = new CompletableFuture<Integer>();
        Thread spawnerThread = Thread.ofPlatform().name("spawner").daemon().start(() -> serve(started));
        try {
            tid = started.get();
        } catch (ExecutionException | InterruptedException e) {
            return; // the thread has ended, or will on its own
        }
        try {
            threadPidfd = Children.pidfdOpenThread(tid);
            thread = spawnerThread;
        } catch (OsException e) {
            putUninterruptibly(Request.STOP);
        }
    }

    /** Whether spawns run on a thread with a file table of its own. */
    public boolean hasOwnFileTable() {
        return thread != null;
    }

    /** The spawner thread's id, for looking at its file table in /proc; empty when spawns run on the caller's. */
    public OptionalInt threadId() {
        return thread == null ? OptionalInt.empty() : OptionalInt.of(tid);
    }

    /**
     * Like {@link Spawn#spawn}, from the spawner thread; the returned error pipe, if any, is in the caller's table.
     * One spawn at a time: callers wait for each other.
     */
    public synchronized Spawned spawn(ExecSpec spec) throws OsException {
        if (thread == null) return Spawn.spawn(spec);
        putUninterruptibly(new Request(spec));
        Object reply = takeUninterruptibly();
        if (reply instanceof OsException e) throw e;
        if (reply instanceof RuntimeException e) throw e;
        if (reply instanceof Error e) throw e;
        Spawned spawned = (Spawned) reply;
        if (spawned.errorPipeReadFd().isEmpty()) return spawned;
        try {
            return new Spawned(spawned.pid(),
                    OptionalInt.of(Children.pidfdGetfd(threadPidfd, spawned.errorPipeReadFd().getAsInt())));
        } catch (OsException e) {
            // The child exists and must be reported; without the pipe an exec failure shows only as exit 111.
            return new Spawned(spawned.pid(), OptionalInt.empty());
        }
    }

    /**
     * Signals the spawner thread leaves to others: a SIGCHLD from the death it is about to restart would otherwise
     * often land here (the thread is asleep) and run the JVM's handler first. Children get an empty mask anyway.
     */
    private static final List<Integer> LEFT_TO_OTHER_THREADS = List.of(Signals.SIGHUP, Signals.SIGINT,
            Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGALRM, Signals.SIGTERM, Signals.SIGCHLD, Signals.SIGCONT,
            Signals.SIGTSTP, Signals.SIGWINCH, Signals.SIGPWR);

    /** The spawner thread: a table of its own, then spawns until told to stop. */
    private void serve(CompletableFuture<Integer> started) {
        SignalEvents.blockInCurrentThread(LEFT_TO_OTHER_THREADS);
        int processPidfd;
        try {
            MemorySegment slot = Native.errnoSlot();
            if ((int) UNSHARE.invokeExact(slot, CLONE_FILES) != 0) {
                throw new OsException("unshare", Native.errno(slot));
            }
            // Opened after the unshare, so in this thread's table; it names the process, whose table is shared.
            processPidfd = Children.pidfdOpen(Children.getpid());
            started.complete((int) GETTID.invokeExact());
        } catch (Throwable t) {
            started.completeExceptionally(t);
            return;
        }
        int handedOver = -1;
        for (Request request = takeRequest(); request != Request.STOP; request = takeRequest()) {
            // The caller copied the error pipe we made last time before it returned: ours can go.
            Fds.close(handedOver);
            handedOver = -1;
            Object reply = spawnHere(request.spec(), processPidfd);
            if (reply instanceof Spawned s && s.errorPipeReadFd().isPresent()) {
                handedOver = s.errorPipeReadFd().getAsInt();
            }
            putReply(reply);
        }
        Fds.close(handedOver);
        Fds.close(processPidfd);
    }

    private static Object spawnHere(ExecSpec spec, int processPidfd) {
        Map<Integer, Integer> copies = new HashMap<>();
        try {
            for (ExecSpec.FdMapping m : spec.fds()) {
                if (!copies.containsKey(m.source())) {
                    copies.put(m.source(), Children.pidfdGetfd(processPidfd, m.source()));
                }
            }
            return Spawn.spawn(spec.withSources(copies::get));
        } catch (OsException | RuntimeException | Error e) {
            return e;
        } finally {
            copies.values().forEach(Fds::close);
        }
    }

    /** Stops the thread; later spawns run on the caller's thread. */
    @Override
    public synchronized void close() {
        if (thread == null) return;
        putUninterruptibly(Request.STOP);
        thread = null;
        Fds.close(threadPidfd);
        threadPidfd = -1;
    }

    private Request takeRequest() {
        while (true) {
            try {
                return requests.take();
            } catch (InterruptedException e) {
                // The spawner thread is never interrupted on purpose; keep serving.
            }
        }
    }

    private void putReply(Object reply) {
        while (true) {
            try {
                replies.put(reply);
                return;
            } catch (InterruptedException e) {
                // As above.
            }
        }
    }

    private void putUninterruptibly(Request request) {
        boolean interrupted = false;
        while (true) {
            try {
                requests.put(request);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private Object takeUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                Object reply = replies.take();
                if (interrupted) Thread.currentThread().interrupt();
                return reply;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
