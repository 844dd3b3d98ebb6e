package vigil.supervise;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import vigil.model.DirectorySpec;
import vigil.os.Errno;
import vigil.os.ForeignDirectoryException;
import vigil.os.NativeHeap;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.os.ThreadPriority;
import vigil.service.Clock;
import vigil.service.Service;
import vigil.service.ServiceState;

/**
 * Keeps every supervised service's runit {@code supervise/} directory: holds its lock while Vigil supervises it,
 * and rewrites {@code pid}, {@code stat} and {@code status} on every change, so runit's {@code sv} and
 * daemontools' {@code svstat} read Vigil's services as their own.
 *
 * <p>The disk work happens on one writer thread, never on the event loop: creating a fresh {@code supervise/} (a
 * directory, two FIFOs, four files) costs milliseconds of journal work on ext4, so a tree of 1000 new services
 * would otherwise come up at disk speed, and a slow or stuck disk would stall every service. The loop hands the
 * writer the latest state of each service; states that follow each other before the writer gets to them are
 * written once, and the writer waits while services are starting ({@link WriteQueue} says why). Where
 * {@code supervise/lock} already exists, its lock is taken on the loop before the service starts (that costs no
 * journal work), so a second supervisor of the same directory is refused as with runsv; a brand-new directory is
 * created once its service runs.
 */
public final class SuperviseFiles implements AutoCloseable {
    /** What the writer reports back; called on the loop thread. */
    public interface Listener {
        /** The supervise directory is open and locked: its control FIFO may be read. */
        void opened(DirectorySpec spec, SuperviseDir dir);

        /** It could not be opened: {@link AlreadySupervisedException} means the service must not run here. */
        void failed(DirectorySpec spec, IOException reason);
    }

    private final BiConsumer<String, String> say;
    /** Where a service whose directory cannot be written keeps its supervise/ state, by name; null: nowhere. */
    private final Path fallbackRoot;
    private final Executor loop;
    private final Clock clock;
    private final Listener listener;
    /** By spec identity, loop thread only: a service's spec is known before its first state change. */
    private final Map<DirectorySpec, Tracked> bySpec = new IdentityHashMap<>();
    private final WriteQueue<Tracked> queue = new WriteQueue<>(System::nanoTime, MAX_HOLD.toNanos());
    private final Thread writer;
    /**
     * The services whose supervise directory is kept open between writes, least recently written first; writer
     * thread only. A restart writes its service's state twice or more; keeping the directory of the services
     * written most often saves reopening it each time, and the budget keeps 5000 services within the fd limit.
     */
    private final LinkedHashMap<Tracked, Boolean> keptOpen = new LinkedHashMap<>(16, 0.75f, true);
    private final int keepOpenBudget = keepOpenBudget();
    /** Reports for the loop not sent yet; writer thread only. */
    private final List<Runnable> reports = new ArrayList<>();
    /** A first scan is under way (loop thread only): it counts as one start in the queue. */
    private boolean scanning;
    /** Closes queued and not done yet (loop thread only): while there are some, a lock found held may be ours. */
    private int closesPending;
    private static final Tracked STOP = new Tracked(null);
    /** Holds the writer until {@link #resumeWriter}: see {@link #pauseWriter}. */
    private static final Tracked PAUSE = new Tracked(null);
    /** Whether the writer is held at {@link #PAUSE}, under {@link #pause}'s lock. */
    private final Object pause = new Object();
    private boolean pauseWanted, paused;
    private static final int TRIM_AFTER_WRITES = 64;
    private static final int REPORT_BATCH = 64;
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(60);
    /** How long a start that neither ends nor is followed by another may hold the writer back. */
    private static final Duration MAX_HOLD = Duration.ofSeconds(1);

    /** One service's supervise directory, as the loop and the writer share it. */
    private static final class Tracked {
        final DirectorySpec spec;
        // Loop thread only.
        Instant stamp = Instant.now();
        int lastPid = -1;
        ServiceState.Runit lastState = ServiceState.Runit.DOWN;
        /** Spawned, its exec not done: counted in the queue's starts. */
        boolean starting;
        SuperviseDir open;
        // Handed from the loop to the writer, under the object's lock.
        SuperviseState pending;
        SuperviseDir locked;
        boolean closing;
        /** Runs on the loop once the writer has closed the files, after its last write. */
        Runnable whenClosed;
        boolean queued;
        // Writer thread only.
        SuperviseDir dir;
        boolean broken;
        boolean writeFailed;
        Duration retryDelay = FIRST_RETRY;

        Tracked(DirectorySpec spec) {
            this.spec = spec;
        }
    }

    /**
     * @param say          receives (service name, message) lines for the operator, on the loop
     * @param fallbackRoot where to keep {@code supervise/} for a service directory that is read-only or not
     *                     writable: {@code fallbackRoot/NAME} (a logger's {@code NAME/log}); null for nowhere
     * @param loop         runs the writer's reports on the loop thread
     * @param clock          the loop's timers, for retries after a shortage
     */
    public SuperviseFiles(BiConsumer<String, String> say, Path fallbackRoot, Executor loop, Clock clock,
                          Listener listener) {
        this.say = say;
        this.fallbackRoot = fallbackRoot;
        this.loop = loop;
        this.clock = clock;
        this.listener = listener;
        this.writer = Thread.ofPlatform().name("supervise-writer").daemon().start(this::writeAll);
    }

    /** The open supervise directory of the service (or logger) with this spec, or null (not yet, or never). */
    public SuperviseDir directory(DirectorySpec spec) {
        Tracked tracked = bySpec.get(spec);
        return tracked == null ? null : tracked.open;
    }

    /**
     * Starts keeping the supervise directories of the service and its logger. Where a {@code supervise/lock}
     * exists it is locked now; otherwise the directory is made in the background and {@link Listener#opened}
     * follows.
     *
     * @throws IOException naming the directory, when another supervisor holds an existing lock
     */
    public void open(DirectorySpec spec) throws IOException {
        Tracked main = track(spec);
        if (spec.logger().isPresent()) {
            try {
                track(spec.logger().get());
            } catch (IOException e) {
                bySpec.remove(spec);
                if (main.open != null) main.open.close();
                throw e;
            }
        }
        bySpec.put(spec, main);
    }

    private Tracked track(DirectorySpec spec) throws IOException {
        Tracked tracked = new Tracked(spec);
        if (Files.exists(spec.directory().resolve("supervise/lock"))) {
            try {
                tracked.open = openFor(spec);
                tracked.locked = tracked.open;
            } catch (AlreadySupervisedException e) {
                // The holder may be this very process: a service of this directory that is closing, its close
                // still queued (a directory renamed onto a name that was taken restarts under it). The writer
                // opens the directory after that close; if another supervisor holds it, Listener#failed says so.
                if (closesPending == 0) throw e;
            }
        }
        bySpec.put(spec, tracked);
        submit(tracked);
        return tracked;
    }

    /** Releases the lock of this one service (a logger is closed on its own removal), after its last write. */
    public void close(DirectorySpec spec) {
        close(spec, null);
    }

    /**
     * As {@link #close(DirectorySpec)}, then runs {@code whenClosed} on the loop once the writer is done with the
     * service's files: from then on nothing writes them, and whoever owns the directory may delete it.
     */
    public void close(DirectorySpec spec, Runnable whenClosed) {
        Tracked tracked = bySpec.remove(spec);
        if (tracked == null) {
            if (whenClosed != null) whenClosed.run();
            return;
        }
        tracked.open = null;
        setStarting(tracked, false);
        closesPending++;
        synchronized (tracked) {
            tracked.closing = true;
            tracked.whenClosed = () -> {
                closesPending--;
                if (whenClosed != null) whenClosed.run();
            };
        }
        submit(tracked);
    }

    /** The service directory was renamed: its supervise directories are reopened at the new path. */
    public void moved(DirectorySpec from, DirectorySpec to) {
        moveOne(from, to);
        if (from.logger().isPresent() && to.logger().isPresent()) moveOne(from.logger().get(), to.logger().get());
    }

    private void moveOne(DirectorySpec from, DirectorySpec to) {
        Tracked old = bySpec.get(from);
        if (old == null) return;
        close(from);
        Tracked moved = new Tracked(to);
        moved.stamp = old.stamp;
        moved.lastPid = old.lastPid;
        moved.lastState = old.lastState;
        bySpec.put(to, moved);
        submit(moved);
    }

    /** Records the service's state for the writer. The timestamp follows runit: set at start and at down. */
    public void stateChanged(Service service) {
        Tracked tracked = bySpec.get(service.spec());
        if (tracked == null) return;
        ServiceState.Runit state = service.state().runitState();
        int pid = service.pid();
        boolean started = state == ServiceState.Runit.RUN && pid != tracked.lastPid;
        boolean wentDown = state == ServiceState.Runit.DOWN && tracked.lastState != ServiceState.Runit.DOWN;
        if (started || wentDown) tracked.stamp = Instant.now();
        tracked.lastPid = pid;
        tracked.lastState = state;
        setStarting(tracked, service.state() instanceof ServiceState.Up up && !up.execed());
        SuperviseState snapshot = new SuperviseState(runState(state), pid, want(service), service.paused(),
                service.gotTerm(), tracked.stamp);
        synchronized (tracked) {
            tracked.pending = snapshot;
        }
        submit(tracked);
    }

    /**
     * A tree's first scan is under way: its services will start batch by batch, and the writer waits for all of
     * them, not only for the batch being started, until {@link #scanEnded}.
     */
    public void scanBegan() {
        if (scanning) return;
        scanning = true;
        queue.startBegan();
    }

    public void scanEnded() {
        if (!scanning) return;
        scanning = false;
        queue.startEnded();
    }

    private void setStarting(Tracked tracked, boolean starting) {
        if (tracked.starting == starting) return;
        tracked.starting = starting;
        if (starting) queue.startBegan();
        else queue.startEnded();
    }

    /**
     * For {@code daemon-reexec}: waits until the writer has written everything queued so far, then holds it, so no
     * file is half written when the process execs. False if that took longer than {@code timeout} (a stuck disk);
     * either way, call {@link #resumeWriter} unless the exec succeeds.
     */
    public boolean pauseWriter(Duration timeout) {
        synchronized (pause) {
            pauseWanted = true;
        }
        queue.add(PAUSE);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (pause) {
            while (!paused) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    pause.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Lets the writer go on after {@link #pauseWriter}. */
    public void resumeWriter() {
        synchronized (pause) {
            pauseWanted = false;
            pause.notifyAll();
        }
    }

    private void holdWhilePaused() throws InterruptedException {
        synchronized (pause) {
            paused = true;
            pause.notifyAll();
            while (pauseWanted) pause.wait();
            paused = false;
        }
    }

    /** What {@code daemon-reexec} hands over of one service's supervise/: its open files and runit's timestamp. */
    public record HandedOver(SuperviseDir dir, Instant stamp, int lastPid, ServiceState.Runit lastState) {}

    /**
     * The open supervise directory of {@code spec}, with its state, once {@link #pauseWriter} returned true; null
     * if it has none (it could not be made).
     */
    public HandedOver handOver(DirectorySpec spec) {
        Tracked tracked = bySpec.get(spec);
        if (tracked == null || tracked.dir == null) return null;
        return new HandedOver(tracked.dir, tracked.stamp, tracked.lastPid, tracked.lastState);
    }

    /**
     * Keeps the supervise directory an old daemon handed over, as {@link #open} would have opened it; with
     * {@code handedOver} null (the old daemon had none open), opens it as {@link #open} does.
     *
     * @throws IOException as {@link #open}, for a directory not handed over
     */
    public void adopt(DirectorySpec spec, HandedOver handedOver) throws IOException {
        if (handedOver == null) {
            track(spec);
            return;
        }
        Tracked tracked = new Tracked(spec);
        tracked.open = handedOver.dir();
        tracked.locked = handedOver.dir();
        tracked.stamp = handedOver.stamp();
        tracked.lastPid = handedOver.lastPid();
        tracked.lastState = handedOver.lastState();
        bySpec.put(spec, tracked);
        submit(tracked);
    }

    /** Writes what is still pending, releases every lock, and stops the writer. */
    @Override
    public void close() {
        for (DirectorySpec spec : List.copyOf(bySpec.keySet())) close(spec);
        queue.drain();
        queue.add(STOP);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(Tracked tracked) {
        synchronized (tracked) {
            if (tracked.queued) return;
            tracked.queued = true;
        }
        queue.add(tracked);
    }

    // ---- the writer thread ----

    private void writeAll() {
        // Background work: when a tree comes up, the services and the loop starting them go first.
        ThreadPriority.lowerCurrentThread(10);
        int sinceTrim = 0;
        while (true) {
            Tracked next = null;
            try {
                next = queue.poll();
                if (next == null) {
                    // About to wait: what the loop should know goes now, not after the wait.
                    sendReports();
                    next = queue.take();
                }
                if (next == STOP) break;
                if (next == PAUSE) {
                    sendReports();
                    holdWhilePaused();
                    continue;
                }
                writeOne(next);
                if (reports.size() >= REPORT_BATCH) sendReports();
                // A burst (a tree coming up) leaves this thread's malloc arena full of freed chunks: give them back
                // once the queue is empty.
                if (++sinceTrim >= TRIM_AFTER_WRITES && queue.isEmpty()) {
                    NativeHeap.trim();
                    sinceTrim = 0;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // A bug, or memory short (heap, or the native memory of a new directory's buffers): it costs this
                // turn, never the writer. A writer that died would leave every supervise/ stale from then on, and
                // every service whose directory is new without its control FIFO, with no word of it. The loop's
                // error reporter tells it, with its stack trace, like any internal error.
                Tracked failed = next;
                post(() -> {
                    throw new IllegalStateException("supervise/ writer, " + (failed == null
                            ? "handing its reports to the loop" : "writing " + failed.spec.name()) + ": " + e, e);
                });
            }
        }
        sendReports();
    }

    /** Out of fds or memory: try the directory (or the write) again after a delay that doubles up to a minute. */
    private void retryLater(Tracked tracked, IOException reason) {
        Duration delay = tracked.retryDelay;
        tracked.retryDelay = delay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay.multipliedBy(2);
        post(() -> {
            if (bySpec.get(tracked.spec) != tracked) return;
            say.accept(tracked.spec.name(), "supervise/: " + reason.getMessage() + "; retrying in "
                    + delay.toSeconds() + "s");
            clock.schedule(delay, () -> {
                if (bySpec.get(tracked.spec) == tracked) submit(tracked);
            });
        });
    }

    /**
     * Queues a report for the loop. The writer's go in batches, sent when it is about to wait: each one sent alone
     * woke the loop, a thousand times when a tree's directories were made one by one on a slow disk. The loop's
     * own (a fallback directory chosen in {@link #open}) go as tasks of their own.
     */
    private void post(Runnable report) {
        if (Thread.currentThread() == writer) reports.add(report);
        else runOnLoop(report);
    }

    private void sendReports() {
        if (reports.isEmpty()) return;
        List<Runnable> batch = List.copyOf(reports);
        runOnLoop(() -> runAll(batch));
        // Only once handed over: reports that could not be (memory short) go with the next batch.
        reports.clear();
    }

    /** Once the loop is gone (the daemon is exiting) there is no one left to tell; the files are still written. */
    private void runOnLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RuntimeException loopClosed) {
            // Exiting.
        }
    }

    /** On the loop: one report that fails still leaves the others to run, after the loop has reported it. */
    private void runAll(List<Runnable> batch) {
        for (int i = 0; i < batch.size(); i++) {
            try {
                batch.get(i).run();
            } catch (RuntimeException | Error e) {
                List<Runnable> rest = batch.subList(i + 1, batch.size());
                if (!rest.isEmpty()) loop.execute(() -> runAll(rest));
                throw e;
            }
        }
    }

    private void writeOne(Tracked tracked) {
        SuperviseState state;
        boolean closing;
        Runnable whenClosed;
        synchronized (tracked) {
            state = tracked.pending;
            tracked.pending = null;
            closing = tracked.closing;
            whenClosed = tracked.whenClosed;
            tracked.whenClosed = null;
            tracked.queued = false;
            if (tracked.locked != null) {
                tracked.dir = tracked.locked;
                tracked.locked = null;
            }
        }
        if (tracked.dir == null && !tracked.broken && !(closing && state == null)) {
            try {
                SuperviseDir dir = openFor(tracked.spec);
                tracked.dir = dir;
                post(() -> {
                    if (bySpec.get(tracked.spec) != tracked) return;
                    tracked.open = dir;
                    listener.opened(tracked.spec, dir);
                });
            } catch (IOException e) {
                if (Errno.isShortage(e)) {
                    // The state this turn would have written waits for the directory, unless a newer one comes.
                    if (state != null) {
                        synchronized (tracked) {
                            if (tracked.pending == null) tracked.pending = state;
                        }
                    }
                    retryLater(tracked, e);
                } else {
                    tracked.broken = true;
                    post(() -> {
                        if (bySpec.get(tracked.spec) == tracked) listener.failed(tracked.spec, e);
                    });
                }
            }
        }
        if (state != null && tracked.dir != null) {
            try {
                tracked.dir.write(state);
                tracked.writeFailed = false;
                tracked.retryDelay = FIRST_RETRY;
                if (!closing) keepOpen(tracked);
            } catch (OsException e) {
                // A closed service's files get this one turn: nothing retries them once it is gone.
                if (Errno.isShortage(e.errno()) && !closing) {
                    // Written later, unless a newer state comes first; the lock stays until then.
                    synchronized (tracked) {
                        if (tracked.pending == null) tracked.pending = state;
                    }
                    retryLater(tracked, e);
                    return;
                }
                if (!tracked.writeFailed) {
                    post(() -> say.accept(tracked.spec.name(), "cannot write supervise/status: "
                            + e.getMessage()));
                }
                tracked.writeFailed = true;
            }
        }
        if (closing && tracked.dir != null) {
            keptOpen.remove(tracked);
            tracked.dir.close();
            tracked.dir = null;
        }
        if (whenClosed != null) post(whenClosed);
    }

    /** Keeps the service's directory open, closing the one written least recently if the budget is spent. */
    private void keepOpen(Tracked tracked) {
        if (keptOpen.get(tracked) != null) return;
        if (keptOpen.size() >= keepOpenBudget) {
            Tracked eldest = keptOpen.keySet().iterator().next();
            keptOpen.remove(eldest);
            if (eldest.dir != null) eldest.dir.release();
        }
        try {
            tracked.dir.keepOpen();
            keptOpen.put(tracked, Boolean.TRUE);
        } catch (OsException e) {
            // Reopened at each write instead, which reports what goes wrong.
        }
    }

    /** A two-hundredth of the open-files limit (100 of 20000): the rest is the services' own fds. */
    private static int keepOpenBudget() {
        try {
            return (int) Math.clamp(Rlimits.openFiles().soft() / 200, 2, 128);
        } catch (OsException e) {
            return 2;
        }
    }

    /**
     * {@code DIR/supervise}, or, if the service directory is read-only or closed to Vigil (and there is no
     * {@code supervise} symlink leading somewhere writable), the fallback under the runtime directory.
     */
    private SuperviseDir openFor(DirectorySpec spec) throws IOException {
        try {
            return SuperviseDir.open(spec.directory());
        } catch (AlreadySupervisedException e) {
            throw e;
        } catch (IOException e) {
            if (fallbackRoot == null || !cannotWrite(e)) throw e;
            Path elsewhere = fallbackRoot.resolve(spec.name());
            SuperviseDir dir = SuperviseDir.openAt(elsewhere);
            post(() -> say.accept(spec.name(), "keeping supervise/ in " + elsewhere + ": " + e.getMessage()));
            return dir;
        }
    }

    /**
     * Whether Vigil may not write the directory: read-only, closed to it, another user's
     * ({@link ForeignDirectoryException}), or with a symlink as {@code supervise} that someone other than root may
     * have put there (ELOOP). The state then goes to the fallback, where no one else can reach it.
     */
    private static boolean cannotWrite(IOException e) {
        return switch (e) {
            case ForeignDirectoryException foreign -> true;
            case OsException os -> os.errno() == Errno.EROFS || os.errno() == Errno.EACCES
                    || os.errno() == Errno.EPERM || os.errno() == Errno.ELOOP;
            case AccessDeniedException denied -> true;
            case FileSystemException fs -> Errno.describe(Errno.EROFS).equals(fs.getReason());
            default -> false;
        };
    }

    private static SuperviseState.RunState runState(ServiceState.Runit state) {
        return switch (state) {
            case DOWN -> SuperviseState.RunState.DOWN;
            case RUN -> SuperviseState.RunState.RUN;
            case FINISH -> SuperviseState.RunState.FINISH;
        };
    }

    private static SuperviseState.Want want(Service service) {
        return switch (service.want()) {
            case UP -> SuperviseState.Want.UP;
            case DOWN -> SuperviseState.Want.DOWN;
            case EXIT -> SuperviseState.Want.EXIT;
        };
    }
}
