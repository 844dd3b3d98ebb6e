package vigil.os;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread with a file table of its own, running the calls it is handed one at a time. What a call opens is in
 * that table only; it reaches the process's table through {@link #processPidfd()}, and other threads reach its
 * table through {@link #pidfd()} (both with pidfd_getfd). Only code that opens nothing behind the JVM's back may
 * run here: an fd the JVM opened on this thread would be invisible to every other.
 */
final class PrivateTableThread {
    private static final int CLONE_FILES = 0x400;
    private static final MethodHandle UNSHARE = Native.linkErrno("unshare", 1);
    private static final MethodHandle GETTID = Native.link("gettid", 0);

    /** Work for the thread; what it returns or throws goes back to the caller. */
    @FunctionalInterface
    interface Call<T> {
        T run() throws OsException;
    }

    /** What a call returned, or what it threw. */
    private record Outcome(Object value, Throwable thrown) {}

    /** A call to run; null ends the thread. */
    private final SynchronousQueue<Optional<Call<?>>> calls = new SynchronousQueue<>();
    private final SynchronousQueue<Outcome> outcomes = new SynchronousQueue<>();
    private final List<Integer> blockedSignals;
    /** How long the thread waits before it tries a hand-off again that failed for want of memory. */
    private static final long MEMORY_RETRY_NANOS = 10_000_000;
    private int tid;
    private int pidfd = -1;
    /** A pidfd of the process, in the thread's own table: valid on the thread only. */
    private int processPidfd = -1;

    private PrivateTableThread(List<Integer> blockedSignals) {
        this.blockedSignals = blockedSignals;
    }

    /**
     * Starts the thread with {@code blockedSignals} blocked; empty if it cannot have a table of its own (a
     * seccomp filter, or a kernel before 6.9 without thread pidfds).
     */
    static Optional<PrivateTableThread> start(String name, List<Integer> blockedSignals) {
        // Class initialisation on this thread, not the new one: nothing the JVM opens may land in its table.
        Children.getpid();
        PrivateTableThread thread = new PrivateTableThread(blockedSignals);
        var started = new CompletableFuture<Integer>();
        Thread.ofPlatform().name(name).daemon().start(() -> thread.serve(started));
        // The thread says at once whether it has a table of its own: wait for that even if interrupted.
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    thread.tid = started.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return Optional.empty(); // the thread has ended
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
        try {
            thread.pidfd = Children.pidfdOpenThread(thread.tid);
        } catch (OsException e) {
            thread.stop();
            return Optional.empty();
        }
        return Optional.of(thread);
    }

    int tid() {
        return tid;
    }

    /** A pidfd of the thread, in the process's table: how other threads copy the fds it opened. */
    int pidfd() {
        return pidfd;
    }

    /** A pidfd of the process in the thread's own table; for calls, which run on the thread. */
    int processPidfd() {
        return processPidfd;
    }

    /** Runs {@code call} on the thread and returns what it returned; callers wait for each other. */
    synchronized <T> T call(Call<T> call) throws OsException {
        putUninterruptibly(calls, Optional.of(call));
        Outcome outcome = takeUninterruptibly(outcomes);
        switch (outcome.thrown()) {
            case null -> { }
            case OsException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException(outcome.thrown());
        }
        @SuppressWarnings("unchecked")
        T value = (T) outcome.value();
        return value;
    }

    /** Ends the thread and closes its pidfds; what its table still holds is closed when the thread has exited. */
    synchronized void stop() {
        putUninterruptibly(calls, Optional.empty());
        Fds.close(pidfd);
        pidfd = -1;
    }

    private void serve(CompletableFuture<Integer> started) {
        try {
            SignalEvents.blockInCurrentThread(blockedSignals);
            MemorySegment slot = Native.errnoSlot();
            if ((int) (long) UNSHARE.invokeExact(slot, (long) CLONE_FILES) != 0) {
                throw new OsException("unshare", Native.errno(slot));
            }
            // Opened after the unshare, so in this thread's table; it names the process, whose table is shared.
            processPidfd = Children.pidfdOpen(Children.getpid());
            started.complete((int) (long) GETTID.invokeExact());
        } catch (Throwable t) {
            started.completeExceptionally(t);
            return;
        }
        // The hand-offs allocate (a queue node, an Outcome). Were the heap short at that moment, the thread would
        // die and its caller, the event loop, wait for ever: it waits for memory instead, as long as it takes.
        while (true) {
            Optional<Call<?>> call;
            while (true) {
                try {
                    call = takeUninterruptibly(calls);
                    break;
                } catch (OutOfMemoryError e) {
                    LockSupport.parkNanos(MEMORY_RETRY_NANOS);
                }
            }
            if (call.isEmpty()) break;
            Object value = null;
            Throwable thrown = null;
            try {
                value = call.get().run();
            } catch (OsException | RuntimeException | Error e) {
                thrown = e;
            }
            while (true) {
                try {
                    putUninterruptibly(outcomes, new Outcome(value, thrown));
                    break;
                } catch (OutOfMemoryError e) {
                    LockSupport.parkNanos(MEMORY_RETRY_NANOS);
                }
            }
        }
        Fds.close(processPidfd);
    }

    private static <T> void putUninterruptibly(SynchronousQueue<T> queue, T item) {
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(item);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static <T> T takeUninterruptibly(SynchronousQueue<T> queue) {
        boolean interrupted = false;
        while (true) {
            try {
                T item = queue.take();
                if (interrupted) Thread.currentThread().interrupt();
                return item;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
