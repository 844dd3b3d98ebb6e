package vigil.service;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.Readiness;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.ServiceEvent.Next;
import vigil.service.ServiceState.BackingOff;
import vigil.service.ServiceState.Down;
import vigil.service.ServiceState.Finishing;
import vigil.service.ServiceState.Stopping;
import vigil.service.ServiceState.Up;

/**
 * One supervised service: a state machine driven by commands (start, stop, signal...) and by what its processes do
 * (exec failed, ready, exited). It acts on the world only through {@link Processes} and {@link Clock}, so it runs
 * the same against the kernel and against a fake with a virtual clock. All methods run on the loop thread.
 *
 * <p>The rules, after runit and s6: a run that lasted at least {@code stableRun} restarts at once; a shorter one
 * waits a backoff that doubles up to a cap and resets after a stable run. {@code finish} runs after every exit
 * with runit's arguments, and its exit code 125 means "stay down". Stopping sends the down-signal then CONT, and
 * KILL after timeout-kill (or the daemon's default stop timeout). Where the service has a cgroup, every process it
 * starts runs in it, that KILL reaches the whole cgroup, and once a stop has left the service down, what is left
 * of the cgroup gets the down-signal and, after the same timeout, KILL: unlike runit, Vigil
 * leaves nothing of a stopped service behind.
 */
public final class Service {
    private static final int FINISH_SAYS_STAY_DOWN = 125;
    private static final Duration FIRST_PROBE_INTERVAL = Duration.ofMillis(20);
    private static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(1);
    /** How long a logger may take to drain its pipe and exit on EOF before it is signalled. */
    static final Duration LOGGER_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Clock.Timer NO_TIMER = () -> {};

    private DirectorySpec spec;
    private final Processes processes;
    private final Clock clock;
    private final ServiceListener listener;
    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    /** Whether the service directory's {@code control/} scripts apply: runsv never runs them for a logger. */
    private final boolean controlScripts;

    private String name;
    private ServiceState state;
    private Want want;
    private boolean paused;
    private boolean gotTerm;
    private Duration backoff;
    /** An operator asked for a restart: the next exit restarts at once, whatever the policy and backoff say. */
    private boolean restartRequested;
    private int restarts;
    private ExitStatus lastExit;

    /** The timer of the current state (KILL after timeout-kill or timeout-finish, or the restart): one at most. */
    private Clock.Timer stateTimer = NO_TIMER;
    private RunningProcess probe;
    private Clock.Timer probeTimer = NO_TIMER;
    private Duration probeInterval = FIRST_PROBE_INTERVAL;
    private Clock.Timer drainTimer = NO_TIMER;
    /** The service's cgroup, asked for at its first process; empty where processes are not tracked in cgroups. */
    private Optional<ControlGroup> group;
    /** The stop of what a run left in the cgroup, under way. */
    private Optional<GroupStop> leftovers = Optional.empty();

    Service(DirectorySpec spec, Processes processes, Clock clock, ServiceListener listener, Stdio stdin, Stdio stdout,
            Stdio stderr, boolean controlScripts) {
        this.spec = spec;
        this.controlScripts = controlScripts;
        this.name = spec.name();
        this.processes = processes;
        this.clock = clock;
        this.listener = listener;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.state = new Down(clock.nanoTime());
        this.want = spec.startsDown() ? Want.DOWN : Want.UP;
        this.backoff = spec.restart().initialBackoff();
    }

    /** Starts the service unless its spec says it starts down. Called once, right after construction. */
    void begin() {
        if (want == Want.UP) spawnRun();
        else listener.stateChanged(this);
    }

    /**
     * Instead of {@link #begin}: wanted up as its spec says, but started only by {@link #start}, which a job of the
     * dependency engine calls once what it requires is up.
     */
    void awaitStart() {
        listener.stateChanged(this);
    }

    /**
     * The state to hand over to a new daemon ({@code daemon-reexec}), or why not now: a process between two states
     * (an exec, a finish, a readiness probe or a stop under way) would be lost in between.
     */
    public Result<ServiceSnapshot> snapshot() {
        if (probe != null) return new Result.Busy<>(name + ": its readiness check is running");
        ServiceSnapshot.Phase phase = switch (state) {
            case Up u when u.execed() -> new ServiceSnapshot.Phase.Up(u.run().pid(), u.sinceNanos(), u.ready());
            case Up u -> null;
            case Down d -> new ServiceSnapshot.Phase.Down(d.sinceNanos());
            case BackingOff b -> new ServiceSnapshot.Phase.BackingOff(b.untilNanos());
            case Stopping s -> null;
            case Finishing f -> null;
        };
        if (phase == null || restartRequested || want == Want.EXIT) {
            return new Result.Busy<>(name + ": it is " + switch (state) {
                case Up u -> "starting";
                case Stopping s -> "stopping";
                case Finishing f -> "running its finish";
                default -> "being removed";
            });
        }
        return new Result.Ready<>(new ServiceSnapshot(phase, want, paused, gotTerm, backoff, restarts,
                Optional.ofNullable(lastExit)));
    }

    /** A snapshot, or why the service cannot give one now. */
    public sealed interface Result<T> {
        record Ready<T>(T value) implements Result<T> {}

        record Busy<T>(String why) implements Result<T> {}
    }

    /**
     * Takes up the state an old daemon handed over, instead of {@link #begin}: a running process is watched
     * again (it is still this process's child), a backoff's restart is scheduled for when it was due.
     *
     * @throws SpawnException if the process is no longer this daemon's child
     */
    void resume(ServiceSnapshot snapshot) throws SpawnException {
        want = snapshot.want();
        paused = snapshot.paused();
        gotTerm = snapshot.gotTerm();
        backoff = snapshot.backoff();
        restarts = snapshot.restarts();
        lastExit = snapshot.lastExit().orElse(null);
        switch (snapshot.phase()) {
            case ServiceSnapshot.Phase.Down d -> enter(new Down(d.sinceNanos()));
            case ServiceSnapshot.Phase.BackingOff b -> {
                BackingOff waiting = new BackingOff(b.untilNanos());
                enter(waiting);
                stateTimer = clock.schedule(Duration.ofNanos(Math.max(0, b.untilNanos() - clock.nanoTime())), () -> {
                    if (state != waiting) return;
                    restarts++;
                    spawnRun();
                });
            }
            case ServiceSnapshot.Phase.Up u -> {
                RunObserver observer = new RunObserver();
                observer.process = processes.resume(u.pid(), stdout, stderr, observer);
                enter(new Up(observer.process, u.sinceNanos(), true, u.ready()));
            }
        }
        listener.stateChanged(this);
    }

    // ---- what the world may read ----

    /** The current name: the spec's, unless the service directory was renamed since it was loaded. */
    public String name() {
        return name;
    }

    /** Takes a new name and spec (the directory was renamed); what runs now is untouched, the next start uses it. */
    void respec(DirectorySpec renamed) {
        name = renamed.name();
        spec = renamed;
    }

    public DirectorySpec spec() {
        return spec;
    }

    public ServiceState state() {
        return state;
    }

    public Want want() {
        return want;
    }

    public boolean paused() {
        return paused;
    }

    public boolean gotTerm() {
        return gotTerm;
    }

    public int restarts() {
        return restarts;
    }

    public Optional<ExitStatus> lastExit() {
        return Optional.ofNullable(lastExit);
    }

    /** The pid runit would show: run's while it runs, finish's while that runs, else 0. */
    public int pid() {
        return switch (state) {
            case Up u -> u.run().pid();
            case Stopping s -> s.run().pid();
            case Finishing f -> f.finish().pid();
            case Down d -> 0;
            case BackingOff b -> 0;
        };
    }

    /** Up, and its program runs: execve succeeded, so a start can no longer fail on the way in. */
    public boolean execed() {
        return state instanceof Up u && u.execed();
    }

    /** Up, its program runs, and its readiness protocol (if any) said ready. */
    public boolean ready() {
        return state instanceof Up u && u.execed() && u.ready();
    }

    /**
     * Down for good after a run that failed (an exit code other than 0, or a signal that does not ask a process to
     * end): a start that came to this did not succeed. A service stopped on request, or never started, has not.
     */
    public boolean failed() {
        return state instanceof Down && want != Want.UP && lastExit != null && !cleanEnd(lastExit);
    }

    /** Where this service's processes write: the pipe to its logger if it has one. */
    public Stdio output() {
        return stdout;
    }

    // ---- commands ----

    /** runit {@code u}: want up, and start now if nothing runs (cutting a backoff short: the operator asked). */
    public void start() {
        if (want == Want.EXIT) return;
        want = Want.UP;
        startIfStopped();
    }

    /** runit {@code o}: start now if nothing runs, but do not restart it. */
    public void once() {
        if (want == Want.EXIT) return;
        want = Want.DOWN;
        restartRequested = false;
        startIfStopped();
    }

    /**
     * Stop what runs (down-signal, then CONT) and start it again at once once it has exited, without waiting a
     * backoff: an operator asked. Starts it now if nothing runs.
     */
    public void restart() {
        if (want == Want.EXIT) return;
        want = Want.UP;
        switch (state) {
            case Up u -> {
                restartRequested = true;
                sendDownSignal(u, "restarting");
            }
            case Stopping s -> {
                restartRequested = true;
                listener.stateChanged(this);
            }
            case Finishing f -> {
                restartRequested = true;
                listener.stateChanged(this);
            }
            case Down d -> spawnRun();
            case BackingOff b -> spawnRun();
        }
    }

    /** runit {@code d}: want down, and stop what runs. */
    public void stop() {
        if (want == Want.EXIT) return;
        want = Want.DOWN;
        restartRequested = false;
        stopNow();
    }

    /**
     * Whether a stop is under way: the down-signal was sent and run has not exited, {@code finish} runs after it,
     * or what run left in the cgroup is being stopped.
     */
    public boolean stopping() {
        return state instanceof Stopping || (state instanceof Finishing && want != Want.UP) || leftovers.isPresent();
    }

    /**
     * {@code vigil stop --force} of a service {@link #stopping} already (its run ignores the down-signal, its
     * removal hangs): SIGKILL to the whole cgroup now (to run or finish alone without one) rather than after the
     * rest of timeout-kill. A service not stopping is stopped as by {@link #stop}.
     */
    public void forceStop() {
        if (!stopping()) {
            stop();
            return;
        }
        if (want != Want.EXIT) want = Want.DOWN;
        restartRequested = false;
        RunningProcess running = switch (state) {
            case Stopping s -> s.run();
            case Finishing f -> f.finish();
            default -> null;
        };
        leftovers.ifPresent(stop -> stop.killTimer.cancel());
        leftovers = Optional.empty();
        // The state's own KILL is sent now: its timer has nothing left to do.
        stateTimer.cancel();
        stateTimer = NO_TIMER;
        boolean killed = group().isPresent() ? group().get().killAll() : running != null && send(running,
                Signals.SIGKILL);
        if (killed) emit(new ServiceEvent.Signalled(Signals.SIGKILL, "stop forced"));
        listener.stateChanged(this);
    }

    /**
     * Want down but send nothing: runit's {@code d} when a {@code control/t} script has stopped the process its
     * own way. A pending restart is called off.
     */
    public void wantDown() {
        if (want == Want.EXIT) return;
        want = Want.DOWN;
        restartRequested = false;
        if (state instanceof BackingOff) settle(new Next.StayDown());
        else listener.stateChanged(this);
    }

    /**
     * Want exit but send nothing: runit's {@code x} when a {@code control/t} script has stopped the process its
     * own way. The service is forgotten once nothing runs (at once if nothing does).
     */
    public void wantExit() {
        want = Want.EXIT;
        restartRequested = false;
        switch (state) {
            case Down d -> settle(new Next.Exit());
            case BackingOff b -> settle(new Next.Exit());
            default -> listener.stateChanged(this);
        }
    }

    /** Sets or clears the paused flag alone: nothing runs, or a {@code control/p} or {@code control/c} acted. */
    public void markPaused(boolean on) {
        paused = on;
        listener.stateChanged(this);
    }

    /** CONT to run if it runs, leaving the paused flag as it is: runsv's wake-up after stopping a service. */
    public void wake() {
        switch (state) {
            case Up u -> send(u.run(), Signals.SIGCONT);
            case Stopping s -> send(s.run(), Signals.SIGCONT);
            default -> {}
        }
    }

    /** runit {@code x}: stop, then forget the service. */
    public void exit() {
        want = Want.EXIT;
        restartRequested = false;
        stopNow();
    }

    /**
     * Exit for a logger: its producer is gone and the pipe's write end closed, so let it read to EOF and exit on
     * its own, losing no line; signal it only if it has not exited after {@link #LOGGER_DRAIN_TIMEOUT}.
     */
    public void drainAndExit() {
        want = Want.EXIT;
        if (state instanceof Up u) {
            RunningProcess run = u.run();
            drainTimer = clock.schedule(LOGGER_DRAIN_TIMEOUT, () -> {
                if (state instanceof Up now && now.run() == run) sendDownSignal(now, "pipe not drained in time");
            });
            listener.stateChanged(this);
        } else {
            stopNow();
        }
    }

    /**
     * Sends a signal to run if it runs (runit {@code t k h a i q 1 2}); STOP and CONT also set the paused flag,
     * unless run refused the signal. Returns why the kernel refused it, if it did (reported as an event too).
     */
    public Optional<String> signal(int signal) {
        RunningProcess run = switch (state) {
            case Up u -> u.run();
            case Stopping s -> s.run();
            default -> null;
        };
        Optional<String> refused = run == null ? Optional.empty() : trySend(run, signal);
        if (refused.isEmpty()) {
            if (signal == Signals.SIGSTOP) paused = true;
            if (signal == Signals.SIGCONT) paused = false;
        }
        if (run != null && refused.isEmpty()) {
            if (signal == Signals.SIGTERM) gotTerm = true;
            emit(new ServiceEvent.Signalled(signal, ""));
        }
        listener.stateChanged(this);
        return refused;
    }

    // ---- transitions ----

    private void startIfStopped() {
        switch (state) {
            case Down d -> spawnRun();
            case BackingOff b -> spawnRun();
            default -> listener.stateChanged(this);
        }
    }

    private void stopNow() {
        switch (state) {
            case Up u -> sendDownSignal(u, "");
            case BackingOff b -> settle(want == Want.EXIT ? new Next.Exit() : new Next.StayDown());
            case Down d -> settle(want == Want.EXIT ? new Next.Exit() : new Next.StayDown());
            case Stopping s -> listener.stateChanged(this);
            case Finishing f -> listener.stateChanged(this);
        }
    }

    /**
     * Stopping, even if run refuses the down-signal: it is stopping once it exits on its own or the KILL of
     * timeout-kill gets through, and the refusal is reported.
     */
    private void sendDownSignal(Up up, String why) {
        int signal = spec.stop().downSignal();
        RunningProcess run = up.run();
        Stopping stopping = new Stopping(run, up.sinceNanos());
        enter(stopping);
        boolean sent = send(run, signal);
        if (sent && signal == Signals.SIGTERM) gotTerm = true;
        // A paused process must wake up to act on the signal.
        if (sent && signal != Signals.SIGCONT && signal != Signals.SIGKILL) send(run, Signals.SIGCONT);
        stateTimer = clock.schedule(stopTimeout(), () -> {
            if (state != stopping) return;
            // The whole cgroup at once, so that nothing run started outlives it.
            boolean killed = group().isPresent() ? group().get().killAll() : send(run, Signals.SIGKILL);
            if (killed) emit(new ServiceEvent.Signalled(Signals.SIGKILL, "still running after timeout-kill"));
        });
        if (sent) emit(new ServiceEvent.Signalled(signal, why.isEmpty() ? "stopping" : why));
        listener.stateChanged(this);
    }

    private void spawnRun() {
        spawnRun(() -> {});
    }

    /** Starts run; {@code beforeEvents} reports what led here, once the new process exists (or failed to). */
    private void spawnRun(Runnable beforeEvents) {
        restartRequested = false;
        // What the last stop left must not share the cgroup with the new run: its stop timer would kill that too.
        leftovers.ifPresent(GroupStop::killNow);
        leftovers = Optional.empty();
        ProcessRequest request = inGroup(ProcessRequest.of(spec.run()).withStdin(stdin).withStdout(stdout)
                .withStderr(stderr).withSocketsOf(spec.name()));
        if (spec.readiness() instanceof Readiness.NotificationFd n) request = request.withReadinessFd(n.fd());
        if (spec.readiness() instanceof Readiness.SdNotify) request = request.withNotifySocket();
        // runsv runs control/u before every ./run, restarts included, and ignores how it exits. Looked up from the
        // current directory at each start, as runsv does, so a renamed directory or a script added later counts.
        if (controlScripts) {
            request = request.withBefore(spec.directory().toAbsolutePath().resolve("control").resolve("u"));
        }
        RunObserver observer = new RunObserver();
        RunningProcess run;
        try {
            run = processes.start(request.withCgroups(processes.resourceCgroups(spec.name(), spec.resources())),
                    observer);
        } catch (SpawnException e) {
            beforeEvents.run();
            Duration retryIn = nextBackoff();
            emit(new ServiceEvent.SpawnFailed(e.getMessage(), retryIn));
            backOff(retryIn);
            return;
        }
        observer.process = run;
        gotTerm = false;
        enter(new Up(run, clock.nanoTime(), false, spec.readiness() instanceof Readiness.OnStart));
        beforeEvents.run();
        emit(new ServiceEvent.Started(run.pid()));
        listener.stateChanged(this);
        if (spec.readiness() instanceof Readiness.Probe p) {
            probeInterval = FIRST_PROBE_INTERVAL;
            runProbe(run, p.check());
        }
    }

    private void runExited(RunningProcess run, ExitStatus status) {
        long since;
        switch (state) {
            case Up u when u.run() == run -> since = u.sinceNanos();
            case Stopping s when s.run() == run -> since = s.sinceNanos();
            default -> {
                return;
            }
        }
        stopProbe();
        drainTimer.cancel();
        Duration ran = Duration.ofNanos(clock.nanoTime() - since);
        lastExit = status;
        gotTerm = false;
        Optional<Command> finish = spec.finish();
        if (finish.isPresent()) {
            emit(new ServiceEvent.Exited(status, ran, new Next.RunFinish()));
            runFinish(finish.get(), status, since, ran);
            return;
        }
        Next next = decide(ran, false);
        if (next instanceof Next.Restart r && r.delay().isZero()) {
            // Restart first, report after: the line about the exit costs the new process nothing.
            restarts++;
            spawnRun(() -> emit(new ServiceEvent.Exited(status, ran, next)));
        } else {
            emit(new ServiceEvent.Exited(status, ran, next));
            settle(next);
        }
    }

    private void runFinish(Command finish, ExitStatus runStatus, long runSince, Duration ran) {
        // runit's arguments: the exit code (or -1 if killed) and the signal number (or 0).
        Command withArgs = finish.withExtraArgs(
                Integer.toString(runStatus.exited() ? runStatus.code() : -1),
                Integer.toString(runStatus.signal()));
        FinishObserver observer = new FinishObserver();
        RunningProcess process;
        try {
            process = processes.start(inGroup(ProcessRequest.of(withArgs).withStdin(stdin).withStdout(stdout)
                    .withStderr(stderr)), observer);
        } catch (SpawnException e) {
            emit(new ServiceEvent.ExecFailed("finish: " + e.getMessage()));
            Next next = decide(ran, false);
            settle(next);
            return;
        }
        observer.process = process;
        Finishing finishing = new Finishing(process, runSince, ran);
        enter(finishing);
        stateTimer = clock.schedule(spec.stop().timeoutFinish(), () -> {
            if (state != finishing) return;
            if (send(process, Signals.SIGKILL)) {
                emit(new ServiceEvent.Signalled(Signals.SIGKILL, "finish still running after timeout-finish"));
            }
        });
        listener.stateChanged(this);
    }

    private void finishExited(RunningProcess finish, ExitStatus status) {
        if (!(state instanceof Finishing f) || f.finish() != finish) return;
        boolean stayDown = status.exited() && status.code() == FINISH_SAYS_STAY_DOWN;
        Next next = decide(f.ran(), stayDown);
        emit(new ServiceEvent.Finished(status, next));
        settle(next);
    }

    /**
     * What follows a run that lasted {@code ran} and ended as {@link #lastExit}; consumes one step of backoff if
     * it restarts late. A death the restart policy does not restart after leaves the service wanted down.
     */
    private Next decide(Duration ran, boolean stayDown) {
        if (restartRequested && want == Want.UP) {
            restartRequested = false;
            return new Next.Restart(Duration.ZERO);
        }
        if ((stayDown || !policyRestarts(lastExit)) && want == Want.UP) want = Want.DOWN;
        return switch (want) {
            case UP -> {
                if (ran.compareTo(spec.restart().stableRun()) >= 0) {
                    backoff = spec.restart().initialBackoff();
                    yield new Next.Restart(Duration.ZERO);
                }
                yield new Next.Restart(nextBackoff());
            }
            case DOWN -> new Next.StayDown();
            case EXIT -> new Next.Exit();
        };
    }

    private boolean policyRestarts(ExitStatus status) {
        return switch (spec.restart().when()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case ON_FAILURE -> !cleanEnd(status);
        };
    }

    /** Exit 0, or a signal that asks a process to end (systemd's rule for Restart=on-failure). */
    private static boolean cleanEnd(ExitStatus status) {
        if (status.exited()) return status.code() == 0;
        int s = status.signal();
        return s == Signals.SIGHUP || s == Signals.SIGINT || s == Signals.SIGTERM || s == Signals.SIGPIPE;
    }

    private Duration nextBackoff() {
        Duration delay = backoff;
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(spec.restart().maxBackoff()) > 0 ? spec.restart().maxBackoff() : doubled;
        return delay;
    }

    private void settle(Next next) {
        switch (next) {
            case Next.Restart r when r.delay().isZero() -> {
                restarts++;
                spawnRun();
            }
            case Next.Restart r -> backOff(r.delay());
            case Next.StayDown s -> {
                enter(new Down(clock.nanoTime()));
                stopLeftovers(false);
                listener.stateChanged(this);
            }
            case Next.Exit x -> {
                enter(new Down(clock.nanoTime()));
                stopLeftovers(true);
                listener.stateChanged(this);
                listener.removed(this);
            }
            case Next.RunFinish f -> throw new IllegalStateException("finish is started by runExited");
        }
    }

    private void backOff(Duration delay) {
        BackingOff waiting = new BackingOff(clock.nanoTime() + delay.toNanos());
        enter(waiting);
        stateTimer = clock.schedule(delay, () -> {
            if (state != waiting) return;
            restarts++;
            spawnRun();
        });
        listener.stateChanged(this);
    }

    /**
     * Sends {@code signal} to every process of the cgroup but run, which {@link #signal} reaches (SIGKILL goes to
     * all at once, run included, through cgroup.kill); returns how many got it, 0 without a cgroup.
     */
    public int signalOthers(int signal) {
        if (group().isEmpty()) return 0;
        ControlGroup g = group().get();
        if (signal == Signals.SIGKILL) return g.killAll() ? 1 : 0;
        List<Integer> run = switch (state) {
            case Up u -> List.of(u.run().pid());
            case Stopping s -> List.of(s.run().pid());
            default -> List.of();
        };
        return g.signalAll(signal, run);
    }

    /** The cgroup, asked for once. */
    private Optional<ControlGroup> group() {
        if (group == null) group = processes.controlGroup(name);
        return group;
    }

    private ProcessRequest inGroup(ProcessRequest request) {
        return group().isPresent() ? request.inGroup(group().get()) : request;
    }

    /** timeout-kill, or the daemon's default where the service sets none. */
    private Duration stopTimeout() {
        Duration own = spec.stop().timeoutKill();
        return own.isZero() ? processes.defaultStopTimeout() : own;
    }

    /**
     * The service is down for good (or removed): what its runs left in the cgroup (a daemon that double-forked, a
     * setsid()'d grandchild) gets the down-signal, and KILL after the stop timeout; a removed service's cgroup goes
     * once empty.
     */
    private void stopLeftovers(boolean removed) {
        if (group().isEmpty()) return;
        ControlGroup g = group().get();
        if (removed) g.release();
        if (!g.populated()) return;
        GroupStop stop = new GroupStop(g);
        leftovers = Optional.of(stop);
        int sent = g.signalAll(spec.stop().downSignal(), List.of());
        g.signalAll(Signals.SIGCONT, List.of());
        if (sent > 0) emit(new ServiceEvent.Signalled(spec.stop().downSignal(), "what run left in its cgroup"));
        stop.killTimer = clock.schedule(stopTimeout(), () -> {
            if (leftovers.orElse(null) != stop) return;
            leftovers = Optional.empty();
            if (g.killAll()) emit(new ServiceEvent.Signalled(Signals.SIGKILL, "left in its cgroup after timeout-kill"));
        });
        g.onEmpty(() -> {
            stop.killTimer.cancel();
            if (leftovers.orElse(null) == stop) leftovers = Optional.empty();
        });
    }

    /** What a stop left in the cgroup, being stopped: KILL when the timer fires, or at once before a new run. */
    private static final class GroupStop {
        final ControlGroup group;
        Clock.Timer killTimer = NO_TIMER;

        GroupStop(ControlGroup group) {
            this.group = group;
        }

        void killNow() {
            killTimer.cancel();
            group.killAll();
        }
    }

    private void enter(ServiceState next) {
        stateTimer.cancel();
        stateTimer = NO_TIMER;
        state = next;
        // Down: nothing of the service runs, so its resource cgroups can go (once what was left in them is gone).
        if (next instanceof Down) processes.releaseResourceCgroups(spec.name());
    }

    // ---- readiness by probe: run check until it exits 0, backing off between tries ----

    private void runProbe(RunningProcess run, Command check) {
        probeTimer = NO_TIMER;
        ProcessRequest request = inGroup(ProcessRequest.of(check).withStdout(new Stdio.Null())
                .withStdin(new Stdio.Null()));
        ProbeObserver observer = new ProbeObserver(run, check);
        try {
            probe = processes.start(request, observer);
            observer.process = probe;
        } catch (SpawnException e) {
            probeLater(run, check);
        }
    }

    private void probeExited(ProbeObserver observer, ExitStatus status) {
        if (probe != observer.process) return;
        probe = null;
        if (!(state instanceof Up u) || u.run() != observer.run || u.ready()) return;
        if (status.exited() && status.code() == 0) markReady(u);
        else probeLater(observer.run, observer.check);
    }

    private void probeLater(RunningProcess run, Command check) {
        Duration wait = probeInterval;
        Duration doubled = probeInterval.multipliedBy(2);
        probeInterval = doubled.compareTo(MAX_PROBE_INTERVAL) > 0 ? MAX_PROBE_INTERVAL : doubled;
        probeTimer = clock.schedule(wait, () -> {
            if (state instanceof Up u && u.run() == run && !u.ready()) runProbe(run, check);
        });
    }

    private void stopProbe() {
        probeTimer.cancel();
        probeTimer = NO_TIMER;
        if (probe != null) {
            send(probe, Signals.SIGKILL);
            probe = null;
        }
    }

    private void markReady(Up up) {
        enter(new Up(up.run(), up.sinceNanos(), up.execed(), true));
        emit(new ServiceEvent.Ready());
        listener.stateChanged(this);
    }

    private void markExeced(Up up) {
        enter(new Up(up.run(), up.sinceNanos(), true, up.ready()));
        listener.stateChanged(this);
    }

    /** Sends {@code signal} to {@code process}; returns whether it was sent, after reporting why not if not. */
    private boolean send(RunningProcess process, int signal) {
        return trySend(process, signal).isEmpty();
    }

    /** Sends {@code signal} to {@code process}; returns why not, after reporting it, if the kernel refused. */
    private Optional<String> trySend(RunningProcess process, int signal) {
        Optional<String> refused = process.signal(signal);
        refused.ifPresent(why -> emit(new ServiceEvent.SignalRefused(signal, process.pid(), why)));
        return refused;
    }

    private void emit(ServiceEvent event) {
        listener.event(this, event);
    }

    // ---- observers: each belongs to one process, so late events of an old process are recognised and dropped ----

    private final class RunObserver implements ProcessObserver {
        RunningProcess process;

        @Override
        public void execFailed(int errno, String reason) {
            if (pid() == process.pid()) emit(new ServiceEvent.ExecFailed(reason));
        }

        @Override
        public void execSucceeded() {
            if (state instanceof Up u && u.run() == process && !u.execed()) markExeced(u);
        }

        @Override
        public void ready() {
            if (state instanceof Up u && u.run() == process && !u.ready()) markReady(u);
        }

        @Override
        public void exited(ExitStatus status) {
            runExited(process, status);
        }
    }

    private final class FinishObserver implements ProcessObserver {
        RunningProcess process;

        @Override
        public void execFailed(int errno, String reason) {
            emit(new ServiceEvent.ExecFailed("finish: " + reason));
        }

        @Override
        public void exited(ExitStatus status) {
            finishExited(process, status);
        }
    }

    private final class ProbeObserver implements ProcessObserver {
        final RunningProcess run;
        final Command check;
        RunningProcess process;

        ProbeObserver(RunningProcess run, Command check) {
            this.run = run;
            this.check = check;
        }

        @Override
        public void execFailed(int errno, String reason) {}

        @Override
        public void exited(ExitStatus status) {
            probeExited(this, status);
        }
    }
}
