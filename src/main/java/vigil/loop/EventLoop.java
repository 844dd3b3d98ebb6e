package vigil.loop;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.EventFd;
import vigil.os.OsException;
import vigil.os.SignalEvents;
import vigil.os.TimerFd;

/**
 * The one thread that owns Vigil's state: every input is an fd in one epoll set, and handlers, timers and tasks
 * all run on the thread that called {@link #run()}. Idle means blocked in epoll_wait(-1): timers are one timerfd
 * armed at the earliest deadline, cross-thread tasks and signals arrive through eventfds.
 *
 * <p>Only {@link #execute}, {@link #stop} and {@link #inLoopThread} may be called from other threads. Everything
 * else belongs to the loop thread while {@link #run()} is running, and to the one thread that sets the loop up
 * before it runs; calling it from elsewhere throws IllegalStateException.
 */
public final class EventLoop implements AutoCloseable {
    /** Tasks run per iteration before fds get a turn again, so a task that re-queues itself cannot starve them. */
    private static final int TASK_BATCH = 1024;

    private final Epoll epoll;
    private final EventFd wakeup;
    private final TimerFd timerFd;
    private final SignalEvents signals;

    /** The active registration of each watched fd. */
    private final Map<Integer, Watch> watches = new HashMap<>();
    /** The registrations of the current epoll batch, looked up before any handler runs (see dispatch). */
    private final Watch[] batch = new Watch[Epoll.MAX_EVENTS];

    private final PriorityQueue<ScheduledTask> timers = new PriorityQueue<>(
            Comparator.comparingLong((ScheduledTask t) -> t.deadline).thenComparingLong(t -> t.sequence));
    private final List<ScheduledTask> due = new ArrayList<>();
    private long timerSequence;
    private boolean timerArmed;
    private long armedDeadline;

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True from a cross-thread wake-up until the loop drains the eventfd: later wake-ups need no write. */
    private final AtomicBoolean wakeupPending = new AtomicBoolean();

    private final Map<Integer, List<Runnable>> signalHandlers = new HashMap<>();

    private volatile Thread loopThread;
    private volatile boolean stopRequested;
    private volatile Consumer<Throwable> errorReporter = EventLoop::printError;
    private final TurnMeter turns = new TurnMeter();

    private EventLoop(Epoll epoll, EventFd wakeup, TimerFd timerFd, SignalEvents signals) {
        this.epoll = epoll;
        this.wakeup = wakeup;
        this.timerFd = timerFd;
        this.signals = signals;
    }

    /** A loop with its epoll set, wake-up eventfd, timerfd and signal source; not running yet. */
    public static EventLoop create() throws OsException {
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Epoll epoll = Epoll.create();
            made.add(epoll);
            EventFd wakeup = EventFd.create();
            made.add(wakeup);
            TimerFd timerFd = TimerFd.create();
            made.add(timerFd);
            SignalEvents signals = SignalEvents.create();
            made.add(signals);
            EventLoop loop = new EventLoop(epoll, wakeup, timerFd, signals);
            loop.watch(wakeup.fd(), Epoll.EPOLLIN, events -> loop.drainWakeup());
            loop.watch(timerFd.fd(), Epoll.EPOLLIN, events -> loop.runDueTimers());
            loop.watch(signals.fd(), Epoll.EPOLLIN, events -> loop.dispatchSignals());
            loop.watch(signals.signalFd(), Epoll.EPOLLIN, events -> loop.dispatchSignals());
            return loop;
        } catch (OsException e) {
            for (AutoCloseable c : made.reversed()) closeQuietly(c);
            throw e;
        }
    }

    /** Reacts to readiness of a watched fd, on the loop thread. */
    public interface FdHandler {
        /** {@code events} are the ready epoll events (EPOLLIN, EPOLLHUP, ...). */
        void ready(int events) throws Exception;
    }

    /** A watched fd. */
    public interface Registration {
        /** Replaces the watched events. */
        void modify(int events) throws OsException;

        /**
         * Stops watching; idempotent, safe inside any handler, and no event already read for it is delivered.
         * Does not close the fd: cancel first, then close.
         */
        void cancel();
    }

    /** A scheduled one-shot task. */
    public interface Timer {
        /** Idempotent; a cancelled task never runs. */
        void cancel();
    }

    /**
     * Calls {@code handler.ready(events)} on the loop thread whenever {@code fd} is ready for {@code events}
     * (level-triggered unless EPOLLET is given). An fd may have one registration at a time.
     */
    public Registration watch(int fd, int events, FdHandler handler) throws OsException {
        checkOwner();
        Objects.requireNonNull(handler);
        epoll.add(fd, events);
        // The add succeeding while a registration is still recorded means its fd was closed without cancel (which
        // removed it from epoll) and the number reused: that registration is dead.
        Watch stale = watches.get(fd);
        if (stale != null) stale.active = false;
        Watch watch = new Watch(fd, handler);
        watches.put(fd, watch);
        return watch;
    }

    /** Runs {@code task} on the loop thread once {@code System.nanoTime()} reaches {@code deadlineNanos}. */
    public Timer scheduleAt(long deadlineNanos, Runnable task) {
        checkOwner();
        ScheduledTask timer = new ScheduledTask(deadlineNanos, timerSequence++, Objects.requireNonNull(task));
        timers.add(timer);
        return timer;
    }

    /** Runs {@code task} on the loop thread once {@code delay} has passed. Tasks due together run in order. */
    public Timer schedule(Duration delay, Runnable task) {
        long now = System.nanoTime();
        long nanos;
        try {
            nanos = delay.toNanos();
        } catch (ArithmeticException e) {
            nanos = delay.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        long deadline = now + nanos;
        // Saturate instead of wrapping: a delay of centuries is "never", not "long ago".
        if (((now ^ deadline) & (nanos ^ deadline)) < 0) deadline = nanos > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        return scheduleAt(deadline, task);
    }

    /** Thread-safe: runs {@code task} on the loop thread soon, in submission order. */
    public void execute(Runnable task) {
        tasks.add(Objects.requireNonNull(task));
        if (!inLoopThread()) wake();
    }

    /**
     * Runs {@code handler} on the loop thread after the process receives {@code signal}. Signals received
     * before the loop gets to them coalesce into one call.
     *
     * @throws IllegalArgumentException if the JVM does not let Java handle the signal (see {@link SignalEvents})
     */
    public void onSignal(int signal, Runnable handler) {
        checkOwner();
        Objects.requireNonNull(handler);
        signals.watch(signal);
        if (inLoopThread()) SignalEvents.blockInCurrentThread(List.of(signal));
        signalHandlers.computeIfAbsent(signal, s -> new ArrayList<>()).add(handler);
    }

    /**
     * Runs handlers, timers and tasks until {@link #stop()}. An exception from any of them goes to the error
     * reporter and the loop goes on. Throws only if epoll itself fails, which leaves the loop unusable.
     */
    public void run() {
        synchronized (this) {
            if (loopThread != null) throw new IllegalStateException("the loop is already running");
            checkOwner();
            loopThread = Thread.currentThread();
        }
        // Another thread takes the watched signals and forwards them to the loop through the eventfd.
        long previousMask = SignalEvents.blockInCurrentThread(signalHandlers.keySet());
        try {
            long turnBegan = System.nanoTime();
            while (!stopRequested) {
                runTasks();
                if (stopRequested) break;
                updateTimer();
                // Two clock reads a turn: the cost of knowing whether anything holds the loop up.
                turns.record(System.nanoTime() - turnBegan);
                int ready;
                try {
                    ready = epoll.wait(tasks.isEmpty() ? -1 : 0);
                } catch (OsException e) {
                    throw new UncheckedIOException(e);
                }
                turnBegan = System.nanoTime();
                dispatch(ready);
            }
        } finally {
            SignalEvents.restoreMask(previousMask);
            stopRequested = false;
            loopThread = null;
        }
    }

    /** Thread-safe: makes {@link #run()} return after the handler or task now running; if none runs, the next. */
    public void stop() {
        stopRequested = true;
        if (!inLoopThread()) wake();
    }

    /** How long its turns take; thread-safe. */
    public TurnMeter turns() {
        return turns;
    }

    public boolean inLoopThread() {
        return Thread.currentThread() == loopThread;
    }

    /**
     * Where exceptions from handlers, timers and tasks go; by default a stack trace on stderr, which is also where
     * they go if the reporter itself throws.
     */
    public void setErrorReporter(Consumer<Throwable> reporter) {
        errorReporter = Objects.requireNonNull(reporter);
    }

    /** Restores signal handlers and closes the loop's own fds, not the watched ones. Not while running. */
    @Override
    public void close() {
        if (loopThread != null) throw new IllegalStateException("the loop is running");
        for (Watch watch : watches.values()) watch.active = false;
        watches.clear();
        timers.clear();
        signals.close();
        timerFd.close();
        wakeup.close();
        epoll.close();
    }

    private void dispatch(int ready) {
        // Look every registration up before running any handler: a handler may cancel a registration whose event
        // is later in this batch and then watch a new fd that got the same number. Its event must go nowhere.
        for (int i = 0; i < ready; i++) batch[i] = watches.get(epoll.fd(i));
        for (int i = 0; i < ready; i++) {
            Watch watch = batch[i];
            batch[i] = null;
            if (watch == null || !watch.active) continue;
            try {
                watch.handler.ready(epoll.events(i));
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    private void runTasks() {
        Runnable task;
        for (int i = 0; i < TASK_BATCH && (task = tasks.poll()) != null; i++) runSafely(task);
    }

    private void wake() {
        if (!wakeupPending.compareAndSet(false, true)) return;
        try {
            wakeup.signal();
        } catch (OsException e) {
            report(e);
        }
    }

    private void drainWakeup() throws OsException {
        // Drain, then clear the flag. Clearing first would let a wake() write between the two, have that write
        // drained here, and leave the flag set with the eventfd empty: every later wake() would skip its write.
        // In this order, a wake() that sees the flag set queued its task before the flag was cleared, so the next
        // runTasks() sees it; a wake() after the clear writes again.
        wakeup.drain();
        wakeupPending.set(false);
    }

    private void updateTimer() {
        ScheduledTask earliest = timers.peek();
        try {
            if (earliest == null) {
                if (timerArmed) timerFd.disarm();
                timerArmed = false;
            } else if (!timerArmed || earliest.deadline != armedDeadline) {
                timerFd.armAt(earliest.deadline);
                timerArmed = true;
                armedDeadline = earliest.deadline;
            }
        } catch (OsException e) {
            report(e);
        }
    }

    private void runDueTimers() throws OsException {
        timerFd.drain();
        // A one-shot timerfd that fired is disarmed: the next earliest deadline must be armed even if it is equal.
        timerArmed = false;
        long now = System.nanoTime();
        // Collect first, so a task scheduling another one that is already due does not run it in this pass.
        while (!timers.isEmpty() && timers.peek().deadline <= now) due.add(timers.poll());
        try {
            for (ScheduledTask timer : due) {
                if (timer.done) continue;
                timer.done = true;
                runSafely(timer.task);
            }
        } finally {
            due.clear();
        }
    }

    private void dispatchSignals() throws OsException {
        long arrived = signals.take();
        while (arrived != 0) {
            int signal = Long.numberOfTrailingZeros(arrived) + 1;
            arrived &= arrived - 1;
            List<Runnable> handlers = signalHandlers.getOrDefault(signal, List.of());
            for (int i = 0; i < handlers.size(); i++) runSafely(handlers.get(i));
        }
    }

    private void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            report(t);
        }
    }

    private void report(Throwable t) {
        try {
            errorReporter.accept(t);
        } catch (Throwable reporterFailure) {
            try {
                t.addSuppressed(reporterFailure);
                printError(t);
            } catch (Throwable lastResortFailed) {
                // Short of memory even for a stack trace on stderr: nothing is left to tell it with, and a report
                // must never end the loop, which would end the daemon (and, as PID 1, panic the kernel).
            }
        }
    }

    private static void printError(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        System.err.print("vigil: internal error: " + trace);
    }

    private void checkOwner() {
        Thread owner = loopThread;
        if (owner != null && owner != Thread.currentThread()) {
            throw new IllegalStateException("called from " + Thread.currentThread().getName()
                    + ", not the loop thread " + owner.getName());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Cleaning up after a failed create: the original failure is what matters.
        }
    }

    private final class Watch implements Registration {
        final int fd;
        final FdHandler handler;
        boolean active = true;

        Watch(int fd, FdHandler handler) {
            this.fd = fd;
            this.handler = handler;
        }

        @Override
        public void modify(int events) throws OsException {
            checkOwner();
            if (!active) throw new IllegalStateException("fd " + fd + " is no longer watched");
            epoll.modify(fd, events);
        }

        @Override
        public void cancel() {
            checkOwner();
            if (!active) return;
            active = false;
            watches.remove(fd);
            try {
                epoll.remove(fd);
            } catch (OsException e) {
                // The fd was closed before cancel, which already took it out of epoll.
                if (e.errno() != Errno.EBADF && e.errno() != Errno.ENOENT) report(e);
            }
        }
    }

    private final class ScheduledTask implements Timer {
        final long deadline;
        final long sequence;
        final Runnable task;
        /** Cancelled or run. */
        boolean done;

        ScheduledTask(long deadline, long sequence, Runnable task) {
            this.deadline = deadline;
            this.sequence = sequence;
            this.task = task;
        }

        @Override
        public void cancel() {
            checkOwner();
            if (done) return;
            done = true;
            timers.remove(this);
        }
    }
}
