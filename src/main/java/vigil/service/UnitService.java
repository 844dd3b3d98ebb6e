package vigil.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import vigil.model.ResourceLimits;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.KillMode;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Removal;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Errno;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.UnitState.Result;

/**
 * One systemd service unit: systemd's job and state model (service.c) as a pure state machine, acting on the world
 * only through {@link Processes}, {@link UnitOs} and {@link Clock}, so it runs the same against the kernel and
 * against a fake with a virtual clock. All methods run on the loop thread.
 *
 * <p>A start runs condition, start-pre, start and start-post, each a list of commands, then the unit is running
 * (or exited, for a oneshot that remains after exit). A stop runs stop, then signals what is left (stop-sigterm,
 * stop-sigkill), then stop-post, and ends dead or failed; the {@code Restart=} table then decides on an
 * automatic restart. Every phase has its timeout. Main and control processes are told apart by their observers:
 * an event of a process that is no longer the unit's main or control process is ignored.
 *
 * <p>Every process of the unit runs in its cgroup where there is one ({@link ControlGroup}), and a stop waits until
 * KillMode= has emptied it ({@link UnitKill}). Without cgroups, {@code KillMode=control-group} and {@code mixed}
 * reach the main process's process group: vigil-exec makes every process a session (and group) leader, so a
 * daemon's children are in it unless they left.
 */
public final class UnitService {
    private static final Clock.Timer NO_TIMER = () -> {};
    private static final Duration PID_FILE_POLL = Duration.ofMillis(50);
    private static final Duration GROUP_POLL = Duration.ofSeconds(1);

    private UnitSpec spec;
    private final Processes processes;
    private final UnitOs os;
    private final Clock clock;
    private final UnitListener listener;
    private final UnitRequests requests;

    private UnitState state = UnitState.DEAD;
    private long stateSince;
    private Result result = Result.SUCCESS;
    private Result reloadResult = Result.SUCCESS;
    private Want want = Want.DOWN;

    private RunningProcess main;
    /** The group of the last main process: what control-group and mixed signal once it is gone. */
    private int mainGroup;
    private ExitStatus mainExit;
    private RunningProcess control;
    private Phase controlPhase;
    /** Which command of the current phase's list runs (also the ExecStart= of a oneshot). */
    private int commandIndex;
    private ExitStatus controlExit;

    private Clock.Timer stateTimer = NO_TIMER;
    private long stateDeadline;
    private Clock.Timer watchdogTimer = NO_TIMER;
    private Optional<Duration> watchdogOverride = Optional.empty();
    /** An operator stopped the unit: no automatic restart follows. */
    private boolean forbidRestart;
    /** An operator asked for a restart: start again once stopped. */
    private boolean startWhenStopped;
    private boolean stoppingForRestart;
    private int restarts;
    /** The unit's cgroup's OOM kill count when this run started: more at the main process's death is an OOM kill. */
    private long oomKillsSeen;
    /** The process group a forking daemon named by its PID file leads (it called setsid); 0 if none. */
    private int daemonGroup;
    /** When the control process of a forking start began (clock ticks since boot): its orphans come after. */
    private long forkTicks;
    /** When the automatic restart is due ({@link Clock#nanoTime()}), in {@link UnitState#AUTO_RESTART}. */
    private long restartDue;
    private final Deque<Long> recentStarts = new ArrayDeque<>();
    private String statusText = "";
    private OptionalInt errno = OptionalInt.empty();
    private boolean saidNoCgroups;
    /** The unit's cgroup, asked for at its first process; empty where processes are not tracked in cgroups. */
    private Optional<ControlGroup> group;
    /** The stop signalled the whole cgroup and waits for it to empty, beyond the main and control processes. */
    private boolean waitingForGroup;
    /** A refused MAINPID= was reported this run: a hostile service may send them in a loop, so one line is all. */
    private boolean saidRefusedMainPid;
    /** For {@link Type#DBUS}: its {@code BusName=} has an owner, as the bus last said (systemd's bus_name_good). */
    private boolean busNameOwned;

    UnitService(UnitSpec spec, Processes processes, UnitOs os, Clock clock, UnitListener listener,
                Optional<Path> notifySocket, Stdio stdout) {
        this.spec = spec;
        this.processes = processes;
        this.os = os;
        this.clock = clock;
        this.listener = listener;
        this.requests = new UnitRequests(os, notifySocket, stdout);
        this.stateSince = clock.nanoTime();
    }

    /** A unit whose output goes where Vigil's own does (tests). */
    public static UnitService create(UnitSpec spec, Processes processes, UnitOs os, Clock clock,
                                     UnitListener listener, Optional<Path> notifySocket) {
        return create(spec, processes, os, clock, listener, notifySocket, new Stdio.Inherit());
    }

    /**
     * @param output where {@code StandardOutput=journal} (and syslog, kmsg) sends the unit's processes' output:
     *               the daemon's built-in log of the unit
     */
    public static UnitService create(UnitSpec spec, Processes processes, UnitOs os, Clock clock,
                                     UnitListener listener, Optional<Path> notifySocket, Stdio output) {
        return new UnitService(spec, processes, os, clock, listener, notifySocket, output);
    }

    // ---- what the world may read ----

    public String name() {
        return spec.name();
    }

    public UnitSpec spec() {
        return spec;
    }

    public UnitState state() {
        return state;
    }

    /** Where {@code journal}, {@code syslog} and {@code kmsg} send its processes' output. */
    public Stdio output() {
        return requests.output();
    }

    /** Monotonic nanoseconds at which the current state was entered. */
    public long stateSince() {
        return stateSince;
    }

    public Result result() {
        return result;
    }

    public Result reloadResult() {
        return reloadResult;
    }

    public Want want() {
        return want;
    }

    public int restarts() {
        return restarts;
    }

    /** The main process's pid, or 0. */
    public int mainPid() {
        return main == null ? 0 : main.pid();
    }

    /** The control process's pid (an Exec*= other than the main one), or 0. */
    public int controlPid() {
        return control == null ? 0 : control.pid();
    }

    public Optional<ExitStatus> lastMainExit() {
        return Optional.ofNullable(mainExit);
    }

    public Optional<ExitStatus> lastControlExit() {
        return Optional.ofNullable(controlExit);
    }

    /** The last {@code STATUS=} the unit sent. */
    public String statusText() {
        return statusText;
    }

    public OptionalInt errno() {
        return errno;
    }

    /** Takes a re-read unit file; what runs is untouched, the next start uses it. */
    public void respec(UnitSpec changed) {
        spec = changed;
    }

    // ---- daemon-reexec ----

    /**
     * The state to hand over to a new daemon ({@code daemon-reexec}), or why not now: a control process, a phase
     * with its timeout, or a main process that is exiting would be lost in between.
     */
    public Service.Result<UnitSnapshot> snapshot() {
        boolean quiet = switch (state) {
            case RUNNING, EXITED, DEAD, FAILED, AUTO_RESTART -> true;
            default -> false;
        };
        if (!quiet || control != null || want == Want.EXIT || startWhenStopped) {
            return new Service.Result.Busy<>(name() + ": it is " + state.subState()
                    + (control == null ? "" : ", with control process pid " + control.pid()));
        }
        Optional<UnitSnapshot.Main> mainNow = Optional.empty();
        if (main != null) {
            OptionalLong ticks = os.startTicks(main);
            if (ticks.isEmpty()) return new Service.Result.Busy<>(name() + ": its main process is exiting");
            mainNow = Optional.of(new UnitSnapshot.Main(main.pid(), ticks.getAsLong()));
        }
        return new Service.Result.Ready<>(new UnitSnapshot(state, stateSince, result, reloadResult, want, mainNow,
                mainGroup, Optional.ofNullable(mainExit), Optional.ofNullable(controlExit), restarts,
                List.copyOf(recentStarts), statusText, errno, state == UnitState.AUTO_RESTART ? restartDue : 0));
    }

    /**
     * Takes up the state an old daemon handed over, instead of {@link #start}: the main process is taken again
     * (see {@link UnitOs#retake}), an automatic restart is scheduled for when it was due. The spec may be newer
     * than the one the process was started from: as after systemd's daemon-reexec, it applies from the next start.
     * A main process that is gone since (or whose pid another process has now) ends the run as an exit would.
     */
    void resume(UnitSnapshot s) {
        state = s.state();
        stateSince = s.sinceNanos();
        result = s.result();
        reloadResult = s.reloadResult();
        want = s.want();
        mainGroup = s.mainGroup();
        mainExit = s.mainExit().orElse(null);
        controlExit = s.controlExit().orElse(null);
        restarts = s.restarts();
        recentStarts.addAll(s.recentStarts());
        statusText = s.statusText();
        errno = s.errno();
        // A running dbus unit had its name when the old daemon handed over: the watch the daemon starts at the
        // change() below says otherwise if it has gone, and a reload meanwhile does not take it for lost.
        busNameOwned = state == UnitState.RUNNING;
        if (s.main().isPresent()) {
            MainObserver observer = new MainObserver();
            try {
                main = os.retake(s.main().get(), requests.stdio(spec.stdout()), observer);
                observer.process = main;
            } catch (SpawnException e) {
                say(new UnitEvent.MainLostInReexec(s.main().get().pid(), e.getMessage()));
                main = null;
                mainExit = null;
                if (state == UnitState.RUNNING) enterRunning(Result.SUCCESS);
                return;
            }
        }
        switch (state) {
            case RUNNING -> {
                armWatchdog();
                if (main == null && spec.type() == Type.FORKING) watchGroup();
            }
            case AUTO_RESTART -> scheduleRestart(Duration.ofNanos(Math.max(0, s.restartDue() - clock.nanoTime())));
            default -> { }
        }
        changed();
    }

    // ---- commands ----

    /** Starts the unit unless it is active or on its way; cuts an automatic restart's wait short. */
    public void start() {
        if (want == Want.EXIT) return;
        want = Want.UP;
        forbidRestart = false;
        switch (state) {
            case DEAD, FAILED -> {
                restarts = 0;
                startNow();
            }
            case AUTO_RESTART -> restartNow();
            default -> {
                if (state.stopping()) startWhenStopped = true;
            }
        }
    }

    /** Stops the unit: no automatic restart follows. */
    public void stop() {
        if (want != Want.EXIT) want = Want.DOWN;
        forbidRestart = true;
        startWhenStopped = false;
        stopNow();
    }

    /**
     * Stops the unit as the first half of a restart that its job finishes with a {@link #start} once whatever it is
     * ordered after allows: as {@link #stop}, with {@code RestartKillSignal=}.
     */
    public void stopForRestart() {
        if (want != Want.EXIT) want = Want.DOWN;
        forbidRestart = true;
        startWhenStopped = false;
        stoppingForRestart = true;
        stopNow();
    }

    /**
     * Whether a start follows the stop under way or just ended (an automatic restart, a {@code restart}, or a
     * restart job's stop): what {@code FileDescriptorStorePreserve=restart} keeps the fd store for.
     */
    public boolean startFollows() {
        return state == UnitState.AUTO_RESTART || startWhenStopped && want == Want.UP || stoppingForRestart;
    }

    /** Stops the unit and starts it again (the stop uses RestartKillSignal= if set). */
    public void restart() {
        if (want == Want.EXIT) return;
        want = Want.UP;
        if (state.inactive()) {
            forbidRestart = false;
            if (state == UnitState.AUTO_RESTART) restartNow();
            else startNow();
            return;
        }
        forbidRestart = true;
        startWhenStopped = true;
        stoppingForRestart = true;
        stopNow();
    }

    /**
     * Reloads a running unit: ExecReload= as a control process with {@code $MAINPID}, or for notify-reload the
     * reload signal, after which the unit must say RELOADING=1 and READY=1.
     *
     * @return false if the unit cannot be reloaded (not running, or neither ExecReload= nor notify-reload)
     */
    public boolean reload() {
        if (state != UnitState.RUNNING && state != UnitState.EXITED) return false;
        if (!spec.commands(Phase.RELOAD).isEmpty()) {
            reloadResult = Result.SUCCESS;
            enter(UnitState.RELOAD);
            armTimeout(spec.timeoutStart());
            runControl(Phase.RELOAD, 0);
            return true;
        }
        if (spec.type() == Type.NOTIFY_RELOAD && main != null) {
            if (!send(main, spec.reloadSignal())) {
                // As systemd: a reload signal that cannot be sent fails the reload at once; the unit runs on.
                reloadResult = Result.RESOURCES;
                changed();
                return true;
            }
            reloadResult = Result.SUCCESS;
            enter(UnitState.RELOAD);
            armTimeout(spec.timeoutStart());
            say(new UnitEvent.ReloadSignalled(spec.reloadSignal()));
            changed();
            return true;
        }
        return false;
    }

    /** {@code systemctl reset-failed}: a failed unit becomes inactive and its start limit is forgotten. */
    public void resetFailed() {
        recentStarts.clear();
        if (state == UnitState.FAILED) {
            result = Result.SUCCESS;
            enter(UnitState.DEAD);
            changed();
        }
    }

    /**
     * Sends a signal to the main process ({@code systemctl kill --kill-whom=main}). Returns why the kernel refused
     * it, if it did (said too).
     */
    public Optional<String> signal(int signal) {
        if (main == null) return Optional.empty();
        Optional<String> refused = trySend(main, signal);
        if (refused.isEmpty()) say(new UnitEvent.Signalled(signal, false));
        return refused;
    }

    /** Sends a signal to the control process ({@code --kill-whom=control}); why the kernel refused it, if it did. */
    public Optional<String> signalControl(int signal) {
        if (control == null) return Optional.empty();
        Optional<String> refused = trySend(control, signal);
        if (refused.isEmpty()) say(new UnitEvent.SentTo(signal, "the control process"));
        return refused;
    }

    /**
     * Sends a signal to every process of the unit ({@code --kill-whom=all}, the default): its cgroup's (SIGKILL
     * through cgroup.kill), else the main and control processes; false if there was none.
     */
    public boolean signalAll(int signal) {
        List<RunningProcess> tracked = alive();
        boolean sent = false;
        for (RunningProcess p : tracked) sent |= p.signal(signal).isEmpty();
        if (group().isPresent()) {
            List<Integer> pids = tracked.stream().map(RunningProcess::pid).toList();
            sent |= signal == Signals.SIGKILL ? group().get().killAll() : group().get().signalAll(signal, pids) > 0;
        }
        if (sent) say(new UnitEvent.SentTo(signal, "every process"));
        return sent;
    }

    /** Whether the unit is deactivating: ExecStop=, a stop signal or ExecStopPost= under way. */
    public boolean stopping() {
        return state.stopping();
    }

    /**
     * {@code vigil stop --force} of a unit {@link #stopping} already (a process ignores its stop signal, its
     * removal hangs): SIGKILL to every process of its cgroup now (cgroup.kill, whatever KillMode= says; without a
     * cgroup, to the main and control processes and their process groups), rather than after the rest of
     * {@code TimeoutStopSec=}. The stop goes on from stop-sigkill (final-sigkill once past ExecStopPost=) as when
     * that timeout passes, so it ends once the processes are gone. A unit not stopping is stopped as by
     * {@link #stop}.
     */
    public void forceStop() {
        if (!state.stopping()) {
            stop();
            return;
        }
        if (want != Want.EXIT) want = Want.DOWN;
        forbidRestart = true;
        startWhenStopped = false;
        UnitState next = switch (state) {
            case STOP_POST, FINAL_SIGTERM, FINAL_SIGKILL -> UnitState.FINAL_SIGKILL;
            default -> UnitState.STOP_SIGKILL;
        };
        cancelWatchdog();
        List<RunningProcess> tracked = alive();
        for (RunningProcess p : tracked) send(p, Signals.SIGKILL);
        waitingForGroup = false;
        if (group().isPresent()) {
            group().get().killAll();
            waitingForGroup = group().get().populated();
            if (waitingForGroup) group().get().onEmpty(this::groupEmptied);
        } else {
            for (int pgid : groups()) os.signalGroup(pgid, Signals.SIGKILL);
        }
        say(new UnitEvent.SentTo(Signals.SIGKILL, "every process: stop forced"));
        enter(next);
        if (main != null || control != null || waitingForGroup) {
            armTimeout(spec.timeoutStop());
            changed();
            return;
        }
        signalledProcessesGone(Result.SUCCESS);
    }

    /**
     * The OOM killer has killed {@code count} processes in the unit's memory cgroup since it was made, seen as it
     * happened: a process other than the main one too, while the main one runs. As systemd's
     * service_notify_cgroup_oom_event(), {@code OOMPolicy=continue} only says it; {@code stop} stops the unit with
     * result {@code oom-kill}; {@code kill} SIGKILLs the whole cgroup (v2's memory.oom.group has the kernel do it
     * already; v1 has none) and goes on from stop-sigkill. A count already seen (at the main process's death) is
     * ignored.
     */
    public void oomKilled(long count) {
        if (count <= oomKillsSeen) return;
        oomKillsSeen = count;
        say(new UnitEvent.OomKilled());
        ResourceLimits.OomPolicy policy = spec.resources().oomPolicy();
        if (policy == ResourceLimits.OomPolicy.CONTINUE) {
            changed();
            return;
        }
        boolean kill = policy == ResourceLimits.OomPolicy.KILL;
        if (kill) group().ifPresent(ControlGroup::killAll);
        switch (state) {
            case CONDITION, START_PRE, START, START_POST, STOP ->
                    enterSignal(kill ? UnitState.STOP_SIGKILL : UnitState.STOP_SIGTERM, Result.OOM_KILL);
            case RUNNING, EXITED -> {
                if (kill) enterSignal(UnitState.STOP_SIGKILL, Result.OOM_KILL);
                else enterStop(Result.OOM_KILL);
            }
            case STOP_WATCHDOG, STOP_SIGTERM -> enterSignal(UnitState.STOP_SIGKILL, Result.OOM_KILL);
            case STOP_POST, FINAL_SIGTERM -> enterSignal(UnitState.FINAL_SIGKILL, Result.OOM_KILL);
            case STOP_SIGKILL, FINAL_SIGKILL -> {
                if (result == Result.SUCCESS) result = Result.OOM_KILL;
                changed();
            }
            default -> changed();
        }
    }

    /** Stop, then forget the unit: it was removed, or Vigil is exiting. */
    public void exit() {
        want = Want.EXIT;
        forbidRestart = true;
        startWhenStopped = false;
        stopNow();
    }

    private void stopNow() {
        switch (state) {
            case DEAD, FAILED -> settled();
            case AUTO_RESTART -> {
                // The restart they were kept for is off.
                removeDirectories(EnumSet.of(Removal.UNLESS_RESTARTING));
                enter(UnitState.DEAD);
                changed();
                settled();
            }
            case CONDITION, START_PRE, START, START_POST, RELOAD -> enterSignal(UnitState.STOP_SIGTERM, Result.SUCCESS);
            case RUNNING, EXITED -> enterStop(Result.SUCCESS);
            default -> changed();
        }
    }

    // ---- starting ----

    private void restartNow() {
        restarts++;
        startNow();
    }

    private void startNow() {
        stoppingForRestart = false;
        // Checked before the start limit, as systemd does: a skipped start is no start.
        Optional<UnitSpec.Condition> unmet = unmetCondition();
        if (unmet.isPresent()) {
            result = Result.SKIP_CONDITION;
            say(new UnitEvent.ConditionUnmet(unmet.get().describe()));
            enterDead(Result.SKIP_CONDITION, false);
            return;
        }
        if (startLimitHit()) {
            result = Result.START_LIMIT_HIT;
            say(new UnitEvent.StartLimitHit());
            enterDead(Result.START_LIMIT_HIT, false);
            return;
        }
        try {
            os.makeDirectories(spec.directories());
        } catch (SpawnException e) {
            say(new UnitEvent.DirectoriesFailed(e.getMessage()));
            result = Result.RESOURCES;
            enterDead(Result.RESOURCES, true);
            return;
        }
        result = Result.SUCCESS;
        reloadResult = Result.SUCCESS;
        mainExit = null;
        controlExit = null;
        statusText = "";
        errno = OptionalInt.empty();
        watchdogOverride = Optional.empty();
        saidRefusedMainPid = false;
        if (!spec.commands(Phase.CONDITION).isEmpty()) {
            enter(UnitState.CONDITION);
            armTimeout(spec.timeoutStart());
            runControl(Phase.CONDITION, 0);
        } else {
            enterStartPre();
        }
    }

    /**
     * The condition that keeps the unit from starting, if any: every non-triggering condition must hold, and of the
     * triggering ones ({@code |}), at least one.
     */
    private Optional<UnitSpec.Condition> unmetCondition() {
        UnitSpec.Condition firstTrigger = null;
        boolean triggered = false;
        for (UnitSpec.Condition c : spec.conditions()) {
            boolean holds = os.holds(c) != c.negate();
            if (c.trigger()) {
                if (firstTrigger == null) firstTrigger = c;
                triggered |= holds;
            } else if (!holds) {
                return Optional.of(c);
            }
        }
        return firstTrigger != null && !triggered ? Optional.of(firstTrigger) : Optional.empty();
    }

    /** Counts this start against StartLimitIntervalSec=/StartLimitBurst=; true if it is one too many. */
    private boolean startLimitHit() {
        if (spec.startLimitInterval().isEmpty() || spec.startLimitBurst() == 0) return false;
        long now = clock.nanoTime();
        long window = spec.startLimitInterval().get().toNanos();
        while (!recentStarts.isEmpty() && now - recentStarts.peekFirst() >= window) recentStarts.removeFirst();
        if (recentStarts.size() >= spec.startLimitBurst()) return true;
        recentStarts.addLast(now);
        return false;
    }

    private void enterStartPre() {
        if (spec.commands(Phase.START_PRE).isEmpty()) {
            enterStart();
            return;
        }
        enter(UnitState.START_PRE);
        armTimeout(spec.timeoutStart());
        runControl(Phase.START_PRE, 0);
    }

    private void enterStart() {
        enter(UnitState.START);
        oomKillsSeen = os.oomKills(name());
        armTimeout(spec.timeoutStart());
        List<UnitCommand> start = spec.commands(Phase.START);
        if (start.isEmpty()) {
            // A oneshot with no ExecStart= (RemainAfterExit=yes, or only ExecStop=): nothing to wait for.
            enterStartPost();
            return;
        }
        if (spec.type() == Type.FORKING) {
            // The first process is only a control process: the daemon is whatever it leaves behind.
            runControl(Phase.START, 0);
            return;
        }
        commandIndex = 0;
        if (!spawnMain(start.getFirst())) return;
        switch (spec.type()) {
            case SIMPLE -> enterStartPost();
            default -> changed();
        }
    }

    private boolean spawnMain(UnitCommand command) {
        MainObserver observer = new MainObserver();
        try {
            RunningProcess process = processes.start(request(command, Phase.START, true), observer);
            observer.process = process;
            main = process;
            mainGroup = process.pid();
            say(new UnitEvent.Started(command.command().display(), process.pid()));
            return true;
        } catch (SpawnException e) {
            say(new UnitEvent.SpawnFailed(e.getMessage()));
            enterSignal(UnitState.STOP_SIGTERM, Result.RESOURCES);
            return false;
        }
    }

    private void enterStartPost() {
        if (spec.commands(Phase.START_POST).isEmpty()) {
            enterRunning(Result.SUCCESS);
            return;
        }
        enter(UnitState.START_POST);
        armTimeout(spec.timeoutStart());
        runControl(Phase.START_POST, 0);
    }

    private void enterRunning(Result f) {
        if (result == Result.SUCCESS) result = f;
        if (result != Result.SUCCESS) {
            enterSignal(UnitState.STOP_SIGTERM, f);
        } else if ((main != null || (spec.type() == Type.FORKING && mainGroupAlive()))
                && (spec.type() != Type.DBUS || busNameOwned)) {
            boolean backFromReload = state == UnitState.RELOAD;
            enter(UnitState.RUNNING);
            if (!backFromReload) say(new UnitEvent.Running(spec.type() == Type.ONESHOT));
            armWatchdog();
            if (main == null) watchGroup();
            changed();
        } else if (spec.remainAfterExit()) {
            enter(UnitState.EXITED);
            say(new UnitEvent.RemainsActive());
            changed();
        } else {
            enterStop(Result.SUCCESS);
        }
    }

    /**
     * Without a main pid, nothing reports the daemon's end but its cgroup emptying; without a cgroup, look at its
     * process group every {@link #GROUP_POLL} (the one poll in Vigil, and only for forking units without PIDFile=).
     */
    private void watchGroup() {
        if (group().isPresent()) {
            group().get().onEmpty(() -> {
                if (state != UnitState.RUNNING || main != null) return;
                say(new UnitEvent.GroupEmpty(true));
                enterRunning(Result.SUCCESS);
            });
            return;
        }
        stateTimer = clock.schedule(GROUP_POLL, () -> {
            if (state != UnitState.RUNNING || main != null) return;
            stateTimer = NO_TIMER;
            if (mainGroupAlive()) {
                watchGroup();
            } else {
                say(new UnitEvent.GroupEmpty(false));
                enterRunning(Result.SUCCESS);
            }
        });
    }

    /** A forking daemon whose pid is unknown (no PIDFile=) counts as alive while its cgroup or process group is. */
    private boolean mainGroupAlive() {
        if (group().isPresent()) return group().get().populated();
        return mainGroup != 0 && os.signalGroup(mainGroup, 0);
    }

    // ---- stopping ----

    private void enterStop(Result f) {
        if (result == Result.SUCCESS) result = f;
        cancelWatchdog();
        if (spec.commands(Phase.STOP).isEmpty()) {
            enterSignal(UnitState.STOP_SIGTERM, Result.SUCCESS);
            return;
        }
        enter(UnitState.STOP);
        armTimeout(spec.timeoutStop());
        runControl(Phase.STOP, 0);
    }

    /**
     * Sends the signal of {@code next} as KillMode= says and waits for the processes to go, or moves on at once
     * if nothing is left to wait for.
     */
    private void enterSignal(UnitState next, Result f) {
        if (result == Result.SUCCESS) result = f;
        cancelWatchdog();
        UnitSpec.Kill kill = spec.kill();
        int signal = switch (next) {
            case STOP_WATCHDOG -> kill.watchdogSignal();
            case STOP_SIGTERM, FINAL_SIGTERM ->
                    stoppingForRestart ? kill.restartSignal().orElse(kill.signal()) : kill.signal();
            default -> kill.finalSignal();
        };
        boolean soft = next == UnitState.STOP_SIGTERM || next == UnitState.FINAL_SIGTERM;
        boolean waiting = killProcesses(signal, soft, next == UnitState.STOP_SIGKILL
                || next == UnitState.FINAL_SIGKILL);
        enter(next);
        if (waiting) {
            armTimeout(next == UnitState.STOP_WATCHDOG ? spec.timeoutAbort() : spec.timeoutStop());
            changed();
            return;
        }
        if (leftoversToKill(next)) {
            enterSignal(next == UnitState.FINAL_SIGTERM ? UnitState.FINAL_SIGKILL : UnitState.STOP_SIGKILL,
                    Result.SUCCESS);
            return;
        }
        switch (next) {
            case STOP_WATCHDOG, STOP_SIGTERM, STOP_SIGKILL -> enterStopPost(Result.SUCCESS);
            default -> enterDead(Result.SUCCESS, true);
        }
    }

    /**
     * KillMode=mixed sent its soft signal to the main process only: once that is gone, what is left of the cgroup
     * gets the final kill at once (systemd goes from stop-sigterm to stop-sigkill when nothing is left to wait for).
     */
    private boolean leftoversToKill(UnitState signalled) {
        return spec.kill().mode() == KillMode.MIXED && spec.kill().sendSigkill()
                && (signalled == UnitState.STOP_SIGTERM || signalled == UnitState.STOP_WATCHDOG
                        || signalled == UnitState.FINAL_SIGTERM)
                && group().isPresent() && group().get().populated();
    }

    /** The cgroup, asked for once. */
    private Optional<ControlGroup> group() {
        if (group == null) group = processes.controlGroup(spec.name(), spec.resources().slice());
        return group;
    }

    /** Whether the stop still waits for processes of the cgroup other than the main and control processes. */
    private boolean groupBusy() {
        return waitingForGroup && group().isPresent() && group().get().populated();
    }

    /** The cgroup the stop waited for is empty: the stop goes on once the main and control processes are gone. */
    private void groupEmptied() {
        if (!waitingForGroup || main != null || control != null) return;
        waitingForGroup = false;
        signalledProcessesGone(Result.SUCCESS);
    }

    /**
     * Every process the stop signal waited for is gone: the stop goes on to ExecStopPost= (or the end), or, for
     * KillMode=mixed with processes left in the cgroup, to the final kill first.
     */
    private void signalledProcessesGone(Result f) {
        if (leftoversToKill(state)) {
            if (result == Result.SUCCESS) result = f;
            enterSignal(state == UnitState.FINAL_SIGTERM ? UnitState.FINAL_SIGKILL : UnitState.STOP_SIGKILL,
                    Result.SUCCESS);
            return;
        }
        switch (state) {
            case STOP_WATCHDOG, STOP_SIGTERM, STOP_SIGKILL -> enterStopPost(f);
            case FINAL_SIGTERM, FINAL_SIGKILL -> enterDead(f, true);
            default -> changed();
        }
    }

    /**
     * Signals the unit's processes; returns whether a main or control process is left to wait for.
     *
     * @param soft the first signal of a stop: SIGCONT follows, and SIGHUP if SendSIGHUP=
     * @param last the final kill, which KillMode=mixed sends to the whole group
     */
    private boolean killProcesses(int signal, boolean soft, boolean last) {
        KillMode mode = spec.kill().mode();
        waitingForGroup = false;
        if (mode == KillMode.NONE) return main != null || control != null;
        if (signal != 0) {
            List<Integer> extra = soft ? (spec.kill().sendSighup() ? List.of(Signals.SIGCONT, Signals.SIGHUP)
                    : List.of(Signals.SIGCONT)) : List.of();
            if (group().isPresent()) {
                UnitKill.Sent sent = UnitKill.signal(mode, group().get(), alive(), signal, extra, last,
                        spec.kill().finalSignal());
                if (sent.any()) {
                    say(sent.rest() > 0 ? new UnitEvent.SentTo(signal, "the cgroup")
                            : new UnitEvent.Signalled(signal, false));
                }
                waitingForGroup = sent.waitGroup() && group().get().populated();
                if (waitingForGroup) group().get().onEmpty(this::groupEmptied);
                return main != null || control != null || waitingForGroup;
            }
            boolean group = mode == KillMode.CONTROL_GROUP || (mode == KillMode.MIXED && last);
            if (group && mode == KillMode.CONTROL_GROUP && !saidNoCgroups) {
                saidNoCgroups = true;
                say(new UnitEvent.NoCgroups());
            }
            // A group signal reaches its leader too: each process gets each signal once, as from a cgroup kill.
            List<Integer> signalledGroups = new ArrayList<>();
            if (group) {
                for (int pgid : groups()) {
                    if (os.signalGroup(pgid, signal)) {
                        extra.forEach(s -> os.signalGroup(pgid, s));
                        signalledGroups.add(pgid);
                    }
                }
            }
            boolean sent = !signalledGroups.isEmpty();
            for (RunningProcess p : alive()) {
                if (signalledGroups.contains(p.pid()) || !send(p, signal)) continue;
                for (int s : extra) send(p, s);
                sent = true;
            }
            if (sent) say(new UnitEvent.Signalled(signal, !signalledGroups.isEmpty()));
        }
        return main != null || control != null;
    }

    private List<RunningProcess> alive() {
        if (main != null && control != null) return List.of(main, control);
        if (main != null) return List.of(main);
        if (control != null) return List.of(control);
        return List.of();
    }

    private List<Integer> groups() {
        List<Integer> groups = new ArrayList<>(3);
        if (mainGroup != 0) groups.add(mainGroup);
        if (daemonGroup != 0 && daemonGroup != mainGroup) groups.add(daemonGroup);
        if (control != null && !groups.contains(control.pid())) groups.add(control.pid());
        return groups;
    }

    private void enterStopPost(Result f) {
        if (result == Result.SUCCESS) result = f;
        if (spec.commands(Phase.STOP_POST).isEmpty()) {
            enterSignal(UnitState.FINAL_SIGTERM, Result.SUCCESS);
            return;
        }
        enter(UnitState.STOP_POST);
        armTimeout(spec.timeoutStop());
        runControl(Phase.STOP_POST, 0);
    }

    private void enterDead(Result f, boolean allowRestart) {
        if (result == Result.SUCCESS) result = f;
        main = null;
        control = null;
        mainGroup = 0;
        daemonGroup = 0;
        boolean failed = result != Result.SUCCESS && result != Result.SKIP_CONDITION;
        enter(failed ? UnitState.FAILED : UnitState.DEAD);
        say(new UnitEvent.Ended(result));
        boolean autoRestart = allowRestart && shallRestart();
        os.releaseResourceCgroups(name());
        removeDirectories(autoRestart || startWhenStopped ? EnumSet.of(Removal.EVERY_STOP)
                : EnumSet.of(Removal.EVERY_STOP, Removal.UNLESS_RESTARTING));
        if (autoRestart) {
            Duration delay = RestartTable.delay(spec, restarts);
            enter(UnitState.AUTO_RESTART);
            scheduleRestart(delay);
            say(new UnitEvent.RestartScheduled(delay, restarts + 1));
            changed();
            return;
        }
        if (want == Want.UP && !startWhenStopped) want = Want.DOWN;
        changed();
        settled();
    }

    /** The automatic restart, due in {@code delay}. */
    private void scheduleRestart(Duration delay) {
        restartDue = clock.nanoTime() + delay.toNanos();
        stateTimer = clock.schedule(delay, () -> {
            if (state == UnitState.AUTO_RESTART) restartNow();
        });
    }

    /**
     * Removes the unit's directories that go now, as RuntimeDirectoryPreserve= says: with {@code no} at every stop
     * (the next start makes them anew), with {@code restart} only when no start follows.
     */
    private void removeDirectories(Set<Removal> going) {
        List<UnitSpec.Directory> gone = spec.directories().stream().filter(d -> going.contains(d.removal())).toList();
        if (!gone.isEmpty()) os.removeDirectories(gone);
    }

    /** Dead or failed with nothing scheduled: an operator's restart starts now, a removal completes. */
    private void settled() {
        if (startWhenStopped && want == Want.UP) {
            startWhenStopped = false;
            forbidRestart = false;
            startNow();
        } else if (want == Want.EXIT && (state == UnitState.DEAD || state == UnitState.FAILED)) {
            if (group != null) group.ifPresent(ControlGroup::release);
            listener.removed(this);
        }
    }

    /** systemd's service_shall_restart(): no restart an operator or a removal forbade, then {@link RestartTable}. */
    private boolean shallRestart() {
        if (forbidRestart || want == Want.EXIT) return false;
        return RestartTable.restarts(spec, result, Optional.ofNullable(mainExit));
    }

    // ---- control processes ----

    private void runControl(Phase phase, int index) {
        controlPhase = phase;
        commandIndex = index;
        UnitCommand command = spec.commands(phase).get(index);
        ControlObserver observer = new ControlObserver(command);
        try {
            // The control process of a forking start becomes the daemon: its process group is the daemon's.
            RunningProcess process = processes.start(request(command, phase, false), observer);
            observer.process = process;
            control = process;
            if (phase == Phase.START) {
                mainGroup = process.pid();
                forkTicks = os.startTicks(process).orElse(0);
            }
            changed();
        } catch (SpawnException e) {
            say(new UnitEvent.ControlSpawnFailed(command.command().display(), e.getMessage()));
            controlDone(command, Result.RESOURCES, null);
        }
    }

    private void controlExited(ControlObserver observer, ExitStatus status) {
        if (control != observer.process) return;
        control = null;
        controlExit = status;
        boolean clean = status.exited() && status.code() == 0;
        Result f = clean || observer.command.ignoreFailure() ? Result.SUCCESS : failure(status);
        if (!clean) {
            say(new UnitEvent.ControlFailed(observer.command.command().display(), status,
                    observer.command.ignoreFailure()));
        }
        controlDone(observer.command, f, status);
    }

    /** One control command ended with {@code f}: run the next of its phase, or move on as systemd does. */
    private void controlDone(UnitCommand command, Result f, ExitStatus status) {
        Phase phase = controlPhase;
        boolean more = commandIndex + 1 < spec.commands(phase).size();
        switch (state) {
            case CONDITION -> {
                if (f == Result.SUCCESS) {
                    if (more) runControl(phase, commandIndex + 1);
                    else enterStartPre();
                } else if (status != null && status.exited() && status.code() >= 1 && status.code() <= 254) {
                    enterSignal(UnitState.STOP_SIGTERM, Result.SKIP_CONDITION);
                } else {
                    enterSignal(UnitState.STOP_SIGTERM, f);
                }
            }
            case START_PRE -> {
                if (f != Result.SUCCESS) enterSignal(UnitState.STOP_SIGTERM, f);
                else if (more) runControl(phase, commandIndex + 1);
                else enterStart();
            }
            case START -> {
                // Only a forking unit has a control process in start.
                if (f != Result.SUCCESS) enterSignal(UnitState.STOP_SIGTERM, f);
                else findForkedMain();
            }
            case START_POST -> {
                if (f != Result.SUCCESS) enterStop(f);
                else if (more) runControl(phase, commandIndex + 1);
                else enterRunning(Result.SUCCESS);
            }
            case RELOAD -> {
                if (f != Result.SUCCESS) {
                    reloadResult = f;
                    enterRunning(Result.SUCCESS);
                } else if (more) {
                    runControl(phase, commandIndex + 1);
                } else {
                    say(new UnitEvent.Reloaded());
                    enterRunning(Result.SUCCESS);
                }
            }
            case STOP -> {
                if (f == Result.SUCCESS && more) runControl(phase, commandIndex + 1);
                else enterSignal(UnitState.STOP_SIGTERM, f);
            }
            case STOP_WATCHDOG, STOP_SIGTERM, STOP_SIGKILL -> {
                if (main == null && !groupBusy()) signalledProcessesGone(f);
                else changed();
            }
            case STOP_POST -> {
                if (f == Result.SUCCESS && more) runControl(phase, commandIndex + 1);
                else enterSignal(UnitState.FINAL_SIGTERM, f);
            }
            case FINAL_SIGTERM, FINAL_SIGKILL -> {
                if (!groupBusy()) signalledProcessesGone(f);
                else changed();
            }
            default -> changed();
        }
    }

    /** Forking: the first process exited 0; the daemon's pid is in PIDFile=, which may take a moment to appear. */
    private void findForkedMain() {
        if (spec.pidFile().isEmpty()) {
            if (!spec.guessMainPid() || !guessMain()) say(new UnitEvent.NoPidFile(group().isPresent()));
            enterStartPost();
            return;
        }
        Path file = spec.pidFile().get();
        Optional<UnitOs.PidFile> read = os.readPidFile(file);
        if (read.isEmpty() && !forkedAlive()) {
            // systemd's rule: with nothing left to write it, the PID file will never come (a start that failed
            // with ExecStart=-, which would otherwise wait for ever under TimeoutStartSec=0).
            say(new UnitEvent.PidFileNeverWritten(file));
            enterSignal(UnitState.STOP_SIGTERM, Result.PROTOCOL);
            return;
        }
        if (read.isEmpty()) {
            // Still in START with the start timeout armed: poll until the file appears or the timeout fires.
            stateTimer.cancel();
            Clock.Timer timeout = clock.schedule(Duration.ofNanos(Math.max(0, stateDeadline - clock.nanoTime())),
                    this::timedOut);
            Clock.Timer poll = clock.schedule(PID_FILE_POLL, () -> {
                if (state == UnitState.START && control == null && main == null) {
                    timeout.cancel();
                    stateTimer = NO_TIMER;
                    findForkedMain();
                }
            });
            stateTimer = () -> {
                timeout.cancel();
                poll.cancel();
            };
            return;
        }
        armTimeoutAt(stateDeadline);
        int pid = read.get().pid();
        Optional<SpawnException> refused = adoptMain(pid, read.get().untrusted().isEmpty());
        if (refused.isPresent()) {
            // systemd's rule: a PID file that others could have written names only a process of the unit.
            say(refused.get().errno() == Errno.ESRCH ? new UnitEvent.PidFileNamesNoProcess(file, pid)
                    : new UnitEvent.PidFileRefused(file, pid, refused.get().getMessage(), read.get().untrusted()));
            enterSignal(UnitState.STOP_SIGTERM, Result.PROTOCOL);
            return;
        }
        // Without a cgroup, the group signals must reach the daemon's own process group too: a daemon that called
        // setsid (nginx's master) leads one, where its workers outlive it when it is killed.
        if (group().isEmpty() && os.processGroupOf(pid) == pid) daemonGroup = pid;
        say(new UnitEvent.MainFromPidFile(pid, file));
        enterStartPost();
    }

    /**
     * GuessMainPID=: the one process the start left behind whose parent is gone is the daemon (systemd's
     * service_search_main_pid()); none, or several, and the main process stays unknown. False if not found.
     */
    private boolean guessMain() {
        List<Integer> orphans = os.forkedOrphans(group(), forkTicks);
        if (orphans.size() != 1) return false;
        int pid = orphans.getFirst();
        // Found by Vigil itself, in the unit's cgroup or among its own orphans: vouched for.
        if (adoptMain(pid, true).isPresent()) return false;
        // Without a cgroup, a group signal goes to the daemon's own process group (setsid made it lead one).
        if (group().isEmpty()) mainGroup = pid;
        say(new UnitEvent.MainGuessed(pid));
        return true;
    }

    /** Whether anything of a forking start is left: its cgroup, or without one its process group or an orphan. */
    private boolean forkedAlive() {
        if (group().isPresent()) return group().get().populated();
        return mainGroupAlive() || !os.forkedOrphans(group(), forkTicks).isEmpty();
    }

    /**
     * Makes {@code pid} the main process if it is the unit's, or if {@code vouched} for by root and neither the
     * control process nor the OS refuses it (systemd's service_is_suitable_main_pid()); returns why not, if not.
     */
    private Optional<SpawnException> adoptMain(int pid, boolean vouched) {
        if (control != null && control.pid() == pid) {
            return Optional.of(new SpawnException("pid " + pid + " is the unit's control process", Errno.EPERM));
        }
        MainObserver observer = new MainObserver();
        try {
            RunningProcess process = os.adopt(pid, alive(), group(), vouched, observer);
            observer.process = process;
            if (main != null && main != process) os.release(main);
            main = process;
            return Optional.empty();
        } catch (SpawnException e) {
            return Optional.of(e);
        }
    }

    // ---- the main process ----

    private void mainExited(MainObserver observer, ExitStatus status) {
        if (main != observer.process) return;
        main = null;
        mainExit = status;
        Result f = cleanExit(status) ? Result.SUCCESS : failure(status);
        // As systemd's OOMPolicy=: with continue the OOM kill is only said; otherwise it is the run's result.
        long oomKills = f == Result.SUCCESS ? oomKillsSeen : os.oomKills(name());
        if (oomKills > oomKillsSeen) {
            oomKillsSeen = oomKills;
            say(new UnitEvent.OomKilled());
            if (spec.resources().oomPolicy() != ResourceLimits.OomPolicy.CONTINUE) f = Result.OOM_KILL;
        }
        say(new UnitEvent.MainExited(status, f));
        if (spec.type() == Type.ONESHOT && state == UnitState.START && f == Result.SUCCESS
                && commandIndex + 1 < spec.commands(Phase.START).size()) {
            commandIndex++;
            armTimeout(spec.timeoutStart());
            if (spawnMain(spec.commands(Phase.START).get(commandIndex))) changed();
            return;
        }
        switch (state) {
            case START -> {
                switch (spec.type()) {
                    case ONESHOT -> {
                        if (f == Result.SUCCESS) enterStartPost();
                        else enterSignal(UnitState.STOP_SIGTERM, f);
                    }
                    case NOTIFY, NOTIFY_RELOAD -> {
                        // It ended without saying READY=1: whatever its status, the start failed.
                        if (f == Result.SUCCESS) say(new UnitEvent.ExitedBeforeReady());
                        enterSignal(UnitState.STOP_SIGTERM, f == Result.SUCCESS ? Result.PROTOCOL : f);
                    }
                    default -> enterRunning(f);
                }
            }
            case RUNNING -> enterRunning(f);
            case START_POST, RELOAD, STOP -> {
                // The control process goes on; what follows it sees the main process gone.
                if (result == Result.SUCCESS) result = f;
                changed();
            }
            case STOP_WATCHDOG, STOP_SIGTERM, STOP_SIGKILL, FINAL_SIGTERM, FINAL_SIGKILL -> {
                if (control == null && !groupBusy()) signalledProcessesGone(f);
                else changed();
            }
            default -> changed();
        }
    }

    /** Exit 0 or a SuccessExitStatus=; for all but oneshots also death by HUP, INT, TERM or PIPE. */
    private boolean cleanExit(ExitStatus status) {
        if (spec.successExitStatus().matches(status)) return true;
        if (status.exited()) return status.code() == 0;
        int s = status.signal();
        return spec.type() != Type.ONESHOT
                && (s == Signals.SIGHUP || s == Signals.SIGINT || s == Signals.SIGTERM || s == Signals.SIGPIPE);
    }

    private static Result failure(ExitStatus status) {
        if (status.exited()) return Result.EXIT_CODE;
        return status.coreDumped() ? Result.CORE_DUMP : Result.SIGNAL;
    }

    // ---- sd_notify ----

    /**
     * An sd_notify datagram from {@code senderPid}, its {@code KEY=VALUE} lines in order. Messages that
     * NotifyAccess= does not allow from that pid are dropped. A {@code MAINPID=} naming a process that is not the
     * unit's is believed only from root ({@code senderUid} 0), as in systemd: otherwise a service user could have
     * Vigil kill any process at the next stop.
     *
     * @return false if the message was dropped
     */
    public boolean notify(int senderPid, int senderUid, Map<String, String> fields) {
        if (!UnitNotification.heard(spec.notifyAccess(), senderPid, mainPid(), controlPid())) return false;
        UnitNotification message = UnitNotification.of(fields);
        boolean visible = false;
        if (message.mainPid().isPresent()
                && (state.starting() || state == UnitState.RUNNING || state == UnitState.RELOAD)) {
            int pid = message.mainPid().getAsInt();
            if (pid != mainPid()) {
                Optional<SpawnException> refused = adoptMain(pid, senderUid == 0);
                if (refused.isEmpty()) {
                    say(new UnitEvent.MainPidChanged(pid));
                    visible = true;
                } else if (!saidRefusedMainPid) {
                    saidRefusedMainPid = true;
                    say(new UnitEvent.MainPidRefused(pid, senderPid, senderUid, refused.get().getMessage(),
                            mainPid()));
                }
            }
        }
        if (message.status().isPresent()) {
            statusText = message.status().get();
            visible = true;
        }
        if (message.errno().isPresent()) {
            errno = message.errno();
            visible = true;
        }
        message.watchdogUsec().ifPresent(d -> {
            watchdogOverride = Optional.of(d);
            if (state == UnitState.RUNNING || state == UnitState.RELOAD) armWatchdog();
        });
        if (message.watchdog() == UnitNotification.Watchdog.PING
                && (state == UnitState.RUNNING || state == UnitState.RELOAD)) {
            armWatchdog();
        }
        if (message.reloading() && state == UnitState.RUNNING) {
            reloadResult = Result.SUCCESS;
            enter(UnitState.RELOAD);
            armTimeout(spec.timeoutStart());
            visible = true;
        }
        if (message.ready() && isNotifyType()) {
            if (state == UnitState.START) {
                say(new UnitEvent.Ready());
                enterStartPost();
                visible = false;
            } else if (state == UnitState.RELOAD && control == null) {
                say(new UnitEvent.Reloaded());
                enterRunning(Result.SUCCESS);
                visible = false;
            }
        }
        if (message.stopping() && (state == UnitState.RUNNING || state == UnitState.RELOAD)) {
            // It is stopping on its own: wait for it as after the stop signal, but send none.
            cancelWatchdog();
            enter(UnitState.STOP_SIGTERM);
            armTimeout(spec.timeoutStop());
            say(new UnitEvent.StoppingOnItsOwn());
            visible = true;
        }
        message.extendTimeout().ifPresent(this::extendTimeout);
        if (message.watchdog() == UnitNotification.Watchdog.TRIGGER && main != null
                && (state == UnitState.RUNNING || state == UnitState.RELOAD || state.starting())) {
            watchdogFired();
            return true;
        }
        if (visible) changed();
        return true;
    }

    // ---- the bus ----

    /**
     * The bus says whether the unit's {@code BusName=} has an owner, as systemd's service_bus_name_owner_change():
     * for {@link Type#DBUS}, an owner while starting is readiness, and the name gone while running stops the unit
     * (as a dead main process would: with success, or into {@code exited} with {@code RemainAfterExit=yes}).
     */
    public void busNameOwner(boolean owned) {
        busNameOwned = owned;
        if (spec.type() != Type.DBUS) return;
        if (state == UnitState.START && owned) {
            say(new UnitEvent.BusNameOwned(spec.busName().orElseThrow()));
            enterStartPost();
        } else if (state == UnitState.RUNNING && !owned) {
            say(new UnitEvent.BusNameLost(spec.busName().orElseThrow()));
            enterRunning(Result.SUCCESS);
        }
    }

    private boolean isNotifyType() {
        return spec.type() == Type.NOTIFY || spec.type() == Type.NOTIFY_RELOAD;
    }

    // ---- watchdog ----

    /** The watchdog interval now in force: WATCHDOG_USEC= if the unit sent one, else WatchdogSec=. */
    public Optional<Duration> watchdogInterval() {
        return watchdogOverride.or(spec::watchdog);
    }

    private void armWatchdog() {
        watchdogTimer.cancel();
        watchdogTimer = NO_TIMER;
        Optional<Duration> interval = watchdogInterval();
        if (interval.isEmpty()) return;
        RunningProcess watched = main;
        watchdogTimer = clock.schedule(interval.get(), () -> {
            if (main == watched && (state == UnitState.RUNNING || state == UnitState.RELOAD)) watchdogFired();
        });
    }

    private void cancelWatchdog() {
        watchdogTimer.cancel();
        watchdogTimer = NO_TIMER;
    }

    private void watchdogFired() {
        say(new UnitEvent.WatchdogTimeout(watchdogInterval()));
        enterSignal(UnitState.STOP_WATCHDOG, Result.WATCHDOG);
    }

    // ---- timeouts ----

    private void armTimeout(Optional<Duration> timeout) {
        stateTimer.cancel();
        stateTimer = NO_TIMER;
        if (timeout.isEmpty()) {
            stateDeadline = Long.MAX_VALUE;
            return;
        }
        armTimeoutAt(clock.nanoTime() + timeout.get().toNanos());
    }

    private void armTimeoutAt(long deadline) {
        stateTimer.cancel();
        stateDeadline = deadline;
        if (deadline == Long.MAX_VALUE) {
            stateTimer = NO_TIMER;
            return;
        }
        UnitState armedIn = state;
        stateTimer = clock.schedule(Duration.ofNanos(Math.max(0, deadline - clock.nanoTime())), () -> {
            if (state == armedIn) timedOut();
        });
    }

    /** EXTEND_TIMEOUT_USEC=: the current phase may take at least this much longer. */
    private void extendTimeout(Duration extension) {
        if (stateDeadline == Long.MAX_VALUE || state.inactive() || state == UnitState.RUNNING
                || state == UnitState.EXITED) {
            return;
        }
        long extended = clock.nanoTime() + extension.toNanos();
        if (extended > stateDeadline) armTimeoutAt(extended);
    }

    /** The current phase's timeout passed: systemd's service_dispatch_timer(). */
    private void timedOut() {
        stateTimer = NO_TIMER;
        say(new UnitEvent.TimedOut(state));
        switch (state) {
            case CONDITION, START_PRE, START -> enterSignal(UnitState.STOP_SIGTERM, Result.TIMEOUT);
            case START_POST -> enterStop(Result.TIMEOUT);
            case RELOAD -> {
                if (control != null) send(control, Signals.SIGKILL);
                control = null;
                reloadResult = Result.TIMEOUT;
                enterRunning(Result.SUCCESS);
            }
            case STOP -> enterSignal(UnitState.STOP_SIGTERM, Result.TIMEOUT);
            case STOP_WATCHDOG -> enterSignal(UnitState.STOP_SIGKILL, Result.TIMEOUT);
            case STOP_SIGTERM -> {
                if (spec.kill().sendSigkill()) {
                    enterSignal(UnitState.STOP_SIGKILL, Result.TIMEOUT);
                } else {
                    say(new UnitEvent.NoFinalSignal(spec.kill().finalSignal()));
                    enterStopPost(Result.TIMEOUT);
                }
            }
            case STOP_SIGKILL -> {
                say(new UnitEvent.Outlived(spec.kill().finalSignal()));
                forget();
                enterStopPost(Result.TIMEOUT);
            }
            case STOP_POST -> enterSignal(UnitState.FINAL_SIGTERM, Result.TIMEOUT);
            case FINAL_SIGTERM -> {
                if (spec.kill().sendSigkill()) {
                    enterSignal(UnitState.FINAL_SIGKILL, Result.TIMEOUT);
                } else {
                    forget();
                    enterDead(Result.TIMEOUT, true);
                }
            }
            case FINAL_SIGKILL -> {
                forget();
                enterDead(Result.TIMEOUT, true);
            }
            default -> changed();
        }
    }

    /** Gives up waiting for processes that outlived every signal: they are no longer the unit's. */
    private void forget() {
        main = null;
        control = null;
        waitingForGroup = false;
    }

    // ---- process requests ----

    /** What {@code command} runs with, this run's variables set: see {@link UnitRequests#request}. */
    private ProcessRequest request(UnitCommand command, Phase phase, boolean isMain) throws SpawnException {
        ProcessRequest request = requests.request(spec, command, phase, isMain,
                new UnitRequests.Run(watchdogInterval(), mainPid(), result, Optional.ofNullable(mainExit)));
        // Its own cgroup first (inGroup sets the list), then its resource controllers' on a hybrid host.
        return (group().isPresent() ? request.inGroup(group().get()) : request).withCgroups(os.resourceCgroups(spec));
    }

    // ---- bookkeeping ----

    private void enter(UnitState next) {
        stateTimer.cancel();
        stateTimer = NO_TIMER;
        stateDeadline = Long.MAX_VALUE;
        if (next != state) stateSince = clock.nanoTime();
        state = next;
    }

    /**
     * Sends {@code signal} to {@code process}; returns whether it was sent, after saying why not if not. A refused
     * signal changes no transition: a stop still waits for the process and times out as after any signal.
     */
    private boolean send(RunningProcess process, int signal) {
        return trySend(process, signal).isEmpty();
    }

    /** Sends {@code signal} to {@code process}; returns why not, after saying it, if the kernel refused. */
    private Optional<String> trySend(RunningProcess process, int signal) {
        Optional<String> refused = process.signal(signal);
        refused.ifPresent(why -> say(new UnitEvent.SignalRefused(signal, process.pid(), why)));
        return refused;
    }

    private void say(UnitEvent event) {
        listener.event(this, event);
    }

    private void changed() {
        listener.stateChanged(this);
    }

    // ---- observers: each belongs to one process, so late events of an old process are recognised and dropped ----

    private final class MainObserver implements ProcessObserver {
        RunningProcess process;

        @Override
        public void execFailed(int errno, String reason) {
            if (main == process) say(new UnitEvent.ExecFailed(reason));
        }

        @Override
        public void execSucceeded() {
            if (main == process && state == UnitState.START && spec.type() == Type.EXEC) enterStartPost();
        }

        @Override
        public void exited(ExitStatus status) {
            mainExited(this, status);
        }
    }

    private final class ControlObserver implements ProcessObserver {
        final UnitCommand command;
        RunningProcess process;

        ControlObserver(UnitCommand command) {
            this.command = command;
        }

        @Override
        public void execFailed(int errno, String reason) {
            if (control == process) say(new UnitEvent.ControlExecFailed(command.command().display(), reason));
        }

        @Override
        public void exited(ExitStatus status) {
            controlExited(this, status);
        }
    }
}
