package vigil.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import vigil.control.ControlCommands;
import vigil.control.ControlHost;
import vigil.control.JobEvents;
import vigil.control.ControlLimits;
import vigil.control.ControlPaths;
import vigil.control.ControlServer;
import vigil.control.Protocol;
import vigil.control.Users;
import vigil.http.DaemonCounters;
import vigil.http.DaemonView;
import vigil.http.HttpEndpoint;
import vigil.http.HttpOptions;
import vigil.log.LogLocation;
import vigil.cgroup.Cgroups;
import vigil.log.LogOptions;
import vigil.log.TimestampFormat;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.UnitSpec;
import vigil.os.Children;
import vigil.os.Ending;
import vigil.os.Errno;
import vigil.os.IoErrors;
import vigil.os.NativeHeap;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.os.Signals;
import vigil.os.Spawner;
import vigil.reexec.Handover;
import vigil.reexec.Reexec;
import vigil.scan.DirectoryWatcher;
import vigil.scan.ServiceHost;
import vigil.scan.ServiceTree;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceListener;
import vigil.service.ServiceState;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.deps.DirectoryNodes;
import vigil.deps.Job;
import vigil.deps.EngineMeter;
import vigil.deps.JobEngine;
import vigil.deps.JobListener;
import vigil.deps.JobResult;
import vigil.deps.JobType;
import vigil.service.UnitEvent;
import vigil.service.UnitListener;
import vigil.service.UnitService;
import vigil.service.Want;
import vigil.socket.FdStore;
import vigil.socket.SocketExec;
import vigil.socket.SocketUnits;
import vigil.supervise.AlreadySupervisedException;
import vigil.supervise.ControlFifos;
import vigil.supervise.SuperviseDir;
import vigil.supervise.SuperviseFiles;
import vigil.unit.Accounts;
import vigil.unit.Host;
import vigil.watchdog.HardwareWatchdog;

/**
 * {@code vigil daemon DIR...}: one event loop supervising every service directory in each DIR, until TERM or INT
 * (or a shutdown request on the control socket) stops every service (each logger after its producer) and the
 * daemon exits 0. Services are controlled through their runit {@code supervise/control} FIFOs and through the
 * control socket. Service output and Vigil's own messages are logged under the log directory (see
 * {@link ServiceLogs}); every log pipe is drained and every log closed before exit.
 */
public final class Daemon implements ServiceHost {
    /**
     * When to give the native heap's free pages back after a burst of work, counted from the moment it goes quiet.
     * The burst's aftermath goes on off the loop and frees native memory as it ends: the supervise/ writer catches
     * up, and the JIT's compiles finish. A compile's arena goes back to malloc only when HotSpot next cleans its
     * chunk pool, which it does every 5 s: one C1 compile of an FFM method took 22 MiB, found dirty but free
     * in half the benchmark runs before the last trim was added.
     */
    private static final List<Duration> TRIMS_AFTER_QUIET =
            List.of(Duration.ofMillis(250), Duration.ofSeconds(2), Duration.ofSeconds(6));
    /** How long unit files in a scanned tree must stay still before they are read again: one read per burst. */
    private static final Duration UNIT_FILES_SETTLE = Duration.ofMillis(100);

    private final EventLoop loop;
    private final LinuxProcesses processes;
    private final Supervisor supervisor;
    /** Type=dbus units' BusName= on the system bus. */
    private final BusNames busNames;
    private final SuperviseFiles supervise;
    private final ControlFifos fifos;
    private final Reporter reporter;
    /** The units' resource control (MemoryMax=...), for status. */
    private ServiceResources serviceResources;
    /** Where the systemd units come from; the supervisor runs them beside the service directories. */
    private UnitTable units;
    /** The service directories and transient services as nodes of the units' dependency graph. */
    private final DirectoryNodes directoryNodes = new DirectoryNodes();
    private final ServiceLogs logs;
    /** The control socket's request handling; null when there is no control socket. */
    private ControlCommands commands;
    private final List<ServiceTree> trees = new ArrayList<>();
    /** Services whose name is still held by a removed service that has not finished stopping. */
    private final Map<String, DirectorySpec> waitingForName = new HashMap<>();
    private final Leftovers leftovers;
    /** Services held back, by name, until what a previous Vigil left running of them is gone. */
    private final Map<String, HeldBack> waitingForLeftovers = new HashMap<>();
    /** Where transient services keep their supervise/, if there is a runtime directory. */
    private Path transientRoot;
    /** Where units' pids are written down for the next Vigil, if anywhere. */
    private UnitPidFiles unitPids;
    /** The units wait until what a previous Vigil left of them is gone. */
    private boolean unitsHeldBack;
    /** The pending re-read after a unit file in a scanned tree changed; null when none is pending. */
    private EventLoop.Timer unitFilesSettling;
    private boolean stopping;
    /** Hears what began the stop. */
    private final Consumer<StopCause> stoppedBy;
    /** A pending heap trim after a burst of work; null when none is due. */
    private EventLoop.Timer trim;
    /** daemon-reexec, both ends. */
    private DaemonHandover reexec;
    /** After a re-exec: what the old daemon handed over, by name, until the scan finds each directory. */
    private final Map<String, Handover.Pair> resuming = new HashMap<>();
    /** After a re-exec: the request to answer once the first scan is done. */
    private Optional<Handover.Reply> reexecReply = Optional.empty();
    /** After a re-exec: the units the old daemon handed over, by name, until their files are loaded. */
    private final Map<String, Handover.Unit> resumingUnits = new HashMap<>();
    /** After a re-exec: what makes each transient service, taken up before the first scan. */
    private List<Handover.Transient> resumingTransients = List.of();
    /** This daemon took over from an old one: what runs is its own, not a crashed Vigil's leftovers. */
    private boolean reexecuted;
    private UnitNotifySockets unitSockets;
    /** The {@code .socket} units (socket activation). */
    private SocketUnits sockets;
    /** The services' FDSTORE=1 fds, passed to their next main process after their sockets. */
    private final FdStore fdStore = new FdStore();
    /** What is to end before {@link #resumed}: the first scan, and after a re-exec the units' first load too. */
    private int resumeSteps = 1;
    /** What the daemon's starter asked of it beside supervising: critical services, a watchdog, one command. */
    private Duties duties = Duties.plain();
    /** {@code vigil run --services}'s command; null for a plain daemon. */
    private ForegroundCommand foreground;
    /** The first scan (and the units' first load after a re-exec) is done: readiness may be judged. */
    private boolean settled;
    /** Spawns, failures and control requests, for the metrics. */
    private final DaemonCounters counters = new DaemonCounters();

    private Daemon(EventLoop loop, LinuxProcesses processes, ServiceLogs logs, Reporter reporter,
                   Path runtimeDirectory, Consumer<StopCause> stoppedBy) {
        this.loop = loop;
        this.processes = processes;
        this.stoppedBy = stoppedBy;
        this.reporter = reporter;
        this.logs = logs;
        this.supervise = new SuperviseFiles(reporter::say,
                runtimeDirectory == null ? null : runtimeDirectory.resolve("supervise"), loop::execute,
                new LoopClock(loop), new SuperviseOpened());
        this.fifos = new ControlFifos(loop, processes, reporter::say);
        // sv up and sv down of a directory linked to others become jobs of the dependency engine.
        fifos.route((service, up) -> units.directoryJob(up ? JobType.START : JobType.STOP, service.name())
                .isPresent());
        this.supervisor = new Supervisor(processes, processes, new LoopClock(loop), new Listener(), new UnitControl());
        this.busNames = new BusNames(loop, supervisor, reporter, System.getenv());
        this.leftovers = new Leftovers(loop, reporter);
    }

    /** A service waiting for leftovers to go; its spec follows a rename meanwhile. */
    private static final class HeldBack {
        DirectorySpec spec;

        HeldBack(DirectorySpec spec) {
            this.spec = spec;
        }
    }

    /**
     * Runs the daemon to its end; returns the process exit code.
     *
     * @param unitDirectories directories of systemd unit files, whose {@code .service} units are run too; a root
     *                        that holds {@code .service} files is one as well
     * @param control         the control socket's path; null for the default ({@link ControlPaths}), which is given
     *                        up with a warning if it cannot be had, where a path asked for is required
     * @param logDir          where the log directories of services and of Vigil itself go
     * @param timestamps      how their lines are stamped
     */
    public static int run(List<Path> roots, List<Path> unitDirectories, Path control, Path logDir,
                          TimestampFormat timestamps, PrintStream err) {
        return run(roots, unitDirectories, control, logDir, timestamps, ControlLimits.DEFAULT, Optional.empty(), err,
                Set.of(Signals.SIGTERM, Signals.SIGINT), cause -> {}, Optional.empty());
    }

    /**
     * As {@link #run(List, List, Path, Path, TimestampFormat, PrintStream)}, with what users other than root may
     * make it hold, stopped by any of {@code stopSignals} (an init tells apart what each asks for); {@code stoppedBy}
     * hears what began the stop. When {@code handover} is given ({@code daemon-reexec}), it takes over from an old
     * daemon: its services go on as they were. {@code target} is what the units start with ({@code --target}):
     * default.target if empty.
     */
    public static int run(List<Path> roots, List<Path> unitDirectories, Path control, Path logDir,
                          TimestampFormat timestamps, ControlLimits controlLimits, Optional<String> target,
                          PrintStream err,
                          Set<Integer> stopSignals, Consumer<StopCause> stoppedBy, Optional<Handover> handover) {
        return run(roots, unitDirectories, control, logDir, timestamps, controlLimits, target, err, stopSignals,
                stoppedBy, handover, TrackingOptions.DEFAULT);
    }

    /** As above, following and stopping the services' processes as {@code tracking} says. */
    public static int run(List<Path> roots, List<Path> unitDirectories, Path control, Path logDir,
                          TimestampFormat timestamps, ControlLimits controlLimits, Optional<String> target,
                          PrintStream err, Set<Integer> stopSignals, Consumer<StopCause> stoppedBy,
                          Optional<Handover> handover, TrackingOptions tracking) {
        return run(roots, unitDirectories, control, logDir, timestamps, controlLimits, target, err, stopSignals,
                stoppedBy, handover, tracking, Duties.plain(), Optional.empty());
    }

    /**
     * As above, with {@code duties} beside supervising: the caller reads the exit code of a critical service (or of
     * the one command) from them once this returned, and disarms the watchdog on a clean exit; and serving metrics,
     * probes and the status page over HTTP where {@code http} says ({@code --http}).
     */
    public static int run(List<Path> roots, List<Path> unitDirectories, Path control, Path logDir,
                          TimestampFormat timestamps, ControlLimits controlLimits, Optional<String> target,
                          PrintStream err, Set<Integer> stopSignals, Consumer<StopCause> stoppedBy,
                          Optional<Handover> handover, TrackingOptions tracking, Duties duties,
                          Optional<HttpOptions> http) {
        Reporter reporter = new Reporter(err);
        try {
            // Before anything is spawned: the handed-over fds came through the exec without close-on-exec.
            if (handover.isPresent()) Reexec.adoptFds(handover.get());
        } catch (OsException e) {
            reporter.say("re-exec: cannot take over the fds: " + e.getMessage());
            return 1;
        }
        int uid = ControlPaths.currentUid();
        Path socket = control != null ? control : ControlPaths.socket(System.getenv(), uid).orElse(null);
        List<Path> unitDirs = new ArrayList<>();
        for (Path dir : unitDirectories) {
            if (!Files.isDirectory(dir)) {
                reporter.say(dir + ": not a directory");
                return 1;
            }
            unitDirs.add(dir.toAbsolutePath().normalize());
        }
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                reporter.say(root + ": not a directory");
                return 1;
            }
            // Unit files may be dropped in later: the tree's watch sees them, and they load then.
            unitDirs.add(root.toAbsolutePath().normalize());
        }
        try (EventLoop loop = EventLoop.create()) {
            Rlimits.Limit childLimits = Rlimits.raiseOpenFilesLimit();
            if (Children.getpid() != 1) Children.setChildSubreaper();
            // Early, while few fds are open: the spawner's and the keeper's tables start as copies of the process's.
            Spawner spawner = Spawner.start();
            if (handover.isPresent()) spawner.forgetInherited(handover.get().fds());
            ServiceLogs logs = new ServiceLogs(loop, spawner, logDir.toAbsolutePath(),
                    LogOptions.DEFAULT.withTimestamps(timestamps), reporter, openLogsBudget());
            try {
                reporter.logTo(loop, logs.openOwn());
            } catch (IOException e) {
                reporter.say("cannot open Vigil's own log, so its messages go to stderr only: " + IoErrors.describe(e));
            }
            Path runtime = socket == null ? null : ControlPaths.runtimeDirectory(socket);
            Path notifyDirectory = NotifyDirectory.choose(runtime, uid, ProcessHandle.current().pid());
            UnitNotifySockets unitSockets = new UnitNotifySockets(loop, notifyDirectory, reporter);
            LinuxProcesses processes = new LinuxProcesses(loop, spawner, childLimits, notifyDirectory, unitSockets,
                    logs);
            processes.track(tracking.cgroups() ? tracking(loop, reporter) : ProcessTracking.NONE,
                    tracking.defaultStopTimeout());
            ServiceResources serviceResources = ServiceResources.discover(reporter, processes.tracking().cgroups());
            processes.limitResources(serviceResources);
            Daemon daemon = new Daemon(loop, processes, logs, reporter, runtime, stoppedBy);
            daemon.duties = duties;
            duties.command().ifPresent(command -> daemon.foreground = new ForegroundCommand(command, processes,
                    reporter, (code, how) -> daemon.criticalEnded(duties.critical().commandEnded(
                            command.argv().getFirst(), code, how))));
            daemon.serviceResources = serviceResources;
            // OOMPolicy= acts on an OOM kill of any process of a unit, seen as it happens.
            serviceResources.watchOomKills(loop, (name, count) -> daemon.supervisor.unit(name)
                    .ifPresent(unit -> unit.oomKilled(count)));
            daemon.unitSockets = unitSockets;
            daemon.sockets = new SocketUnits(loop, new DaemonSockets(daemon.supervisor, () -> daemon.units, reporter),
                    new SocketExec(loop, processes, Accounts.system(), Host.current(), System.getenv(), reporter::say),
                    Accounts.system(), reporter::say, System::nanoTime);
            processes.passSocketsFrom(daemon.fdStore.after(daemon.sockets));
            unitSockets.keepFdsIn(daemon.fdStore, unit -> daemon.supervisor.unit(unit)
                    .map(u -> u.spec().fdStore()).orElse(UnitSpec.FdStore.NONE));
            daemon.units = new UnitTable(daemon.supervisor, reporter, unitDirs, loop, Accounts.system(),
                    () -> daemon.stopping, (name, file) -> daemon.giveWay(name, "the unit file " + file),
                    daemon::resumeUnit, target, daemon.new UnitJobs(), daemon.sockets, daemon.directoryNodes,
                    daemon.fifos::down);
            serviceResources.slicesFrom(slice -> daemon.units.sliceLimits(slice));
            daemon.reexec = new DaemonHandover(loop, daemon.supervisor, daemon.supervise, processes, logs,
                    reporter, unitSockets, daemon::cannotHandOver,
                    () -> daemon.commands == null ? Map.of() : daemon.commands.transientOwners(), daemon.sockets,
                    daemon.fdStore);
            handover.ifPresent(h -> {
                for (Handover.Pair pair : h.pairs()) daemon.resuming.put(pair.name(), pair);
                for (Handover.Unit unit : h.units()) daemon.resumingUnits.put(unit.name(), unit);
                daemon.resumingTransients = h.transients();
                daemon.sockets.resume(h.sockets());
                daemon.fdStore.adopt(h.fdStore());
                daemon.reexecReply = h.reply();
                daemon.reexecuted = true;
                daemon.resumeSteps = 2;
            });
            loop.setErrorReporter(t -> {
                reporter.say("internal error (Vigil keeps running): " + t);
                t.printStackTrace(err);
            });
            ControlServer server = null;
            if (socket == null) {
                reporter.say("no control socket: XDG_RUNTIME_DIR is not set; give one with --control PATH");
            } else {
                ControlCommands commands = new ControlCommands(loop, daemon.new Control(), uid, runtime,
                        Users.system(), controlLimits.servicesPerUser(), reporter::say);
                try {
                    ControlLimits limits = controlLimits.within(Rlimits.openFiles().soft());
                    OptionalInt handedOver = handover.map(Handover::controlFd).orElse(OptionalInt.empty());
                    server = handedOver.isPresent()
                            ? ControlServer.adopt(loop, socket, handedOver.getAsInt(),
                                    daemon.counters.counting(commands), reporter::say, limits)
                            : ControlServer.open(loop, socket, daemon.counters.counting(commands), reporter::say,
                                    limits);
                    daemon.commands = commands;
                    daemon.reexec.controlSocket(server.listenFd());
                } catch (IOException e) {
                    // A daemon no command can reach could be stopped only by a signal: say why and exit instead.
                    reporter.say("cannot listen on the control socket: " + IoErrors.describe(e)
                            + "; no command could reach this daemon, so it exits");
                    return 1;
                }
            }
            HttpEndpoint httpEndpoint = null;
            if (http.isPresent()) {
                if (daemon.commands == null) {
                    reporter.say("http: not served: it answers through the control socket, and there is none");
                    return 1;
                }
                try {
                    httpEndpoint = HttpEndpoint.start(loop, http.get(), daemon.commands,
                            daemon.new HttpFacts(server), daemon.counters, uid, reporter::say);
                } catch (IOException e) {
                    reporter.say("http: " + e.getMessage());
                    if (server != null) server.close();
                    return 1;
                }
            }
            if (runtime != null) daemon.transientRoot = runtime.resolve("transient");
            if (runtime != null && Files.isDirectory(runtime)) {
                daemon.unitPids = UnitPidFiles.open(runtime.resolve("units"), reporter).orElse(null);
            }
            // Before any service starts: a TERM that comes once one runs must stop it, not kill the JVM.
            for (int signal : stopSignals) {
                loop.onSignal(signal, () -> daemon.shutdown("got " + Signals.name(signal).substring(3),
                        new StopCause.Signalled(signal)));
            }
            if (daemon.foreground == null) {
                loop.onSignal(Signals.SIGHUP, daemon::rescan);
                loop.onSignal(Signals.SIGALRM, daemon::rescan);
            } else {
                // tini's: what a terminal or a container runtime sends is the command's, and its end is the daemon's.
                for (int signal : ForegroundCommand.FORWARDED) loop.onSignal(signal, () -> daemon.forward(signal));
            }
            // Petted from this loop from now on: if it hangs, the hardware resets the machine.
            duties.watchdog().ifPresent(watchdog -> watchdog.arm(new LoopClock(loop)));
            DirectoryWatcher watcher = new DirectoryWatcher(loop);
            Map<String, String> environment = Map.copyOf(System.getenv());
            for (Path root : roots) {
                daemon.trees.add(new ServiceTree(root.toAbsolutePath().normalize(), watcher, daemon,
                        new LoopClock(loop), environment, reporter::say));
            }
            // The first scan runs on the loop like everything else, so whatever goes wrong in it is reported
            // and survived in the same way.
            loop.execute(daemon::startTrees);
            loop.run();
            daemon.supervise.close();
            if (daemon.unitPids != null) daemon.unitPids.close();
            if (httpEndpoint != null) httpEndpoint.close();
            if (server != null) server.close();
            watcher.close();
            processes.tracking().cgroups().ifPresent(Cgroups::close);
            NotifyDirectory.removeIfEmpty(notifyDirectory);
            reporter.say("all services stopped; exiting");
            return 0;
        } catch (IOException e) {
            reporter.say(e.getMessage());
            return 1;
        } finally {
            reporter.closeLog();
        }
    }

    /**
     * How many log directories may be open at once, three fds each (the directory, lock and current). Per service Vigil holds its supervise/ fds and
     * one log pipe's read end; pidfds take a fifth of the limit and give way when short. What is left is small: a
     * hundredth of the limit (200 directories of 20000 fds), with a two-hundredth for supervise/ directories kept
     * open (see SuperviseFiles), leaves room for 5000 services at three fds each.
     */
    private static int openLogsBudget() throws OsException {
        return (int) Math.clamp(Rlimits.openFiles().soft() / 100, 2, 256);
    }

    /** The first scan of every tree; says how many services there are once all were loaded. */
    private void startTrees() {
        if (reexecuted) {
            // What runs is this daemon's own, handed over, not a dead Vigil's leftovers.
            resumeTransients();
            // The old daemon's records are dropped (its writer may have been cut short by the exec): each unit
            // taken up writes its pids down again.
            if (unitPids != null) unitPids.takeRecorded();
            startUnits();
        } else {
            if (transientRoot != null) leftovers.stopTransients(transientRoot);
            if (unitPids == null) {
                startUnits();
            } else {
                unitsHeldBack = true;
                leftovers.stopUnits(unitPids.takeRecorded(), () -> {
                    unitsHeldBack = false;
                    startUnits();
                });
            }
        }
        if (trees.isEmpty()) {
            units.directoriesScanned(reexecuted);
            resumed();
            startForeground();
            return;
        }
        int[] scanning = {trees.size()};
        supervise.scanBegan();
        Runnable treeScanned = () -> {
            if (--scanning[0] > 0) return;
            supervise.scanEnded();
            units.directoriesScanned(reexecuted);
            int heldBack = waitingForLeftovers.values().stream()
                    .mapToInt(held -> held.spec.logger().isPresent() ? 2 : 1).sum();
            reporter.say("supervising " + (supervisor.services().size() + heldBack) + " services from "
                    + String.join(", ", trees.stream().map(t -> t.root().toString()).toList())
                    + (heldBack == 0 ? "" : " (" + heldBack + " to start once what a previous Vigil left of them "
                    + "is gone)"));
            resumed();
            startForeground();
            trimSoon();
        };
        for (ServiceTree tree : trees) {
            try {
                tree.start(treeScanned);
            } catch (IOException e) {
                reporter.say(tree.root() + ": cannot watch it, so changes will not be seen: " + e.getMessage());
                treeScanned.run();
                tree.rescan();
            }
        }
    }

    /** {@code vigil run --services}'s command starts once the first scan has started the tree. */
    private void startForeground() {
        if (foreground != null && !stopping) foreground.start();
    }

    /**
     * A signal {@code vigil run --services} passes on to its command; once the command is over (or before it
     * started), INT and TERM stop the daemon as they would stop any.
     */
    private void forward(int signal) {
        if (foreground.running()) {
            foreground.signal(signal);
        } else if (signal == Signals.SIGTERM || signal == Signals.SIGINT) {
            shutdown("got " + Signals.name(signal).substring(3), new StopCause.Signalled(signal));
        }
    }

    /** A critical service (or the one command) is over for good: everything stops, the daemon exits with its code. */
    private void criticalEnded(CriticalServices.Ended ended) {
        // After the state change that told of it is done: the stop reaches that very service again.
        loop.execute(() -> {
            if (stopping) return;
            shutdown(ended.name() + " (critical) " + ended.how() + ", so the daemon exits " + ended.code(),
                    new StopCause.CriticalEnded(ended.name(), ended.code()));
        });
    }

    private void startUnits() {
        if (units.isEmpty() || stopping) {
            unitsTakenUp();
            return;
        }
        units.reload(summary -> {
            reporter.say("running " + supervisor.units().size() + " units");
            unitsTakenUp();
        });
    }

    /**
     * After a re-exec, once the unit files were read and applied: a unit handed over whose file is gone (or no
     * longer loads) is stopped, and the request is answered once the first scan is done too.
     */
    private void unitsTakenUp() {
        if (!reexecuted) return;
        for (Handover.Unit unit : resumingUnits.values()) {
            reporter.say(unit.name(), "its unit file is gone or no longer loads since the re-exec; stopping it");
            reexec.abandonUnit(unit);
            fdStore.release(unit.name());
        }
        resumingUnits.clear();
        unitSockets.closeUntaken();
        sockets.closeUntaken();
        resumed();
    }

    /** After a re-exec: takes up a unit the old daemon handed over under this name, if it did. */
    private boolean resumeUnit(UnitSpec spec) throws SpawnException {
        Handover.Unit unit = resumingUnits.remove(spec.name());
        if (unit == null) return false;
        reexec.resumeUnit(spec, unit);
        return true;
    }

    /** After a re-exec: every transient service is supervised again before the trees are scanned. */
    private void resumeTransients() {
        for (Handover.Transient t : resumingTransients) {
            Command run = new Command(Path.of(t.executable()), t.argv(), Path.of(t.cwd()), t.environment(),
                    t.user());
            try {
                if (commands == null) throw new Protocol.Failure(Protocol.Error.FAILED, "there is no control socket");
                commands.resumeTransient(t.name(), t.owner(), run, t.restart());
            } catch (Protocol.Failure e) {
                reporter.say(t.name(), "cannot take this transient service up after the re-exec: " + e.getMessage());
            }
        }
        resumingTransients = List.of();
    }

    /**
     * After a re-exec, once the first scan is done and the units were taken up: what the scan did not find is
     * stopped, children that died during the exec are reaped, and the request is answered.
     */
    private void resumed() {
        if (--resumeSteps > 0) return;
        settled = true;
        for (Handover.Pair pair : resuming.values()) {
            reporter.say(pair.name(), "its directory " + pair.directory() + " is gone since the re-exec; stopping it");
            reexec.abandon(pair, true);
        }
        resuming.clear();
        if (reexecReply.isEmpty()) return;
        processes.reapAll();
        reporter.say("re-executed: supervising " + supervisor.services().size() + " services");
        DaemonHandover.reply(reexecReply.get(), supervisor.services().size());
        reexecReply = Optional.empty();
    }

    /** Why this daemon cannot be re-executed at all now, if so: what the handover does not carry. */
    private Optional<String> cannotHandOver() {
        if (stopping) return Optional.of("the daemon is shutting down");
        if (unitsHeldBack) return Optional.of("the units wait for what a previous Vigil left of them to stop");
        if (units.reading() || !resumingUnits.isEmpty()) {
            return Optional.of("the unit files are being read; try again once that is done");
        }
        if (!waitingForName.isEmpty()) {
            return Optional.of(waitingForName.keySet().iterator().next() + " is waiting for its name to be free");
        }
        Optional<String> socketBusy = sockets.busy();
        if (socketBusy.isPresent()) return socketBusy;
        if (!waitingForLeftovers.isEmpty()) {
            return Optional.of(waitingForLeftovers.keySet().iterator().next() + " is waiting for what a previous "
                    + "Vigil left of it to stop");
        }
        return Optional.empty();
    }

    /**
     * After a burst of work, give the native heap's free pages back once things are quiet: one-shot timers,
     * pushed back while work goes on, so an idle daemon never wakes for them.
     */
    private void trimSoon() {
        if (trim != null) trim.cancel();
        trimLater(0);
    }

    private void trimLater(int step) {
        if (step == TRIMS_AFTER_QUIET.size()) {
            trim = null;
            return;
        }
        Duration wait = step == 0 ? TRIMS_AFTER_QUIET.get(0)
                : TRIMS_AFTER_QUIET.get(step).minus(TRIMS_AFTER_QUIET.get(step - 1));
        trim = loop.schedule(wait, () -> {
            NativeHeap.trim();
            trimLater(step + 1);
        });
    }

    /**
     * A cgroup per service where Vigil may make them, else process groups and sessions only, which the log says
     * once, with the reason.
     */
    private static ProcessTracking tracking(EventLoop loop, Reporter reporter) {
        return switch (Cgroups.setUp(loop, reporter::say)) {
            case Cgroups.Setup.Tracked t -> new ProcessTracking(Optional.of(t.cgroups()), reporter::say);
            case Cgroups.Setup.Untracked u -> {
                reporter.say("no cgroup tracking: " + u.why() + "; services' processes are followed through their "
                        + "process groups and sessions only, and a process that leaves them is not stopped");
                yield ProcessTracking.NONE;
            }
        };
    }

    /**
     * @param why   "got TERM", "shutdown requested by ..."
     * @param cause what asked for it
     */
    private void shutdown(String why, StopCause cause) {
        if (stopping) {
            reporter.say(why + " again; killing what is still running of " + running());
            ShutdownEscalation.killEverything(processes.tracking(), supervisor, reporter);
            // Whatever still holds the stop up (a process in uninterruptible sleep), the daemon ends.
            loop.schedule(ShutdownEscalation.LAST_WAIT, () -> {
                reporter.say("still not stopped " + ShutdownEscalation.LAST_WAIT.toSeconds()
                        + "s after the KILL; exiting anyway");
                loop.stop();
            });
            return;
        }
        stopping = true;
        stoppedBy.accept(cause);
        reporter.say(why + "; stopping " + running());
        duties.watchdog().ifPresent(HardwareWatchdog::shuttingDown);
        if (foreground != null) foreground.stop();
        for (ServiceTree tree : trees) tree.close();
        waitingForName.clear();
        // They never started; their leftovers have had their signal, and whoever ends them now is not Vigil.
        for (HeldBack held : waitingForLeftovers.values()) supervise.close(held.spec);
        waitingForLeftovers.clear();
        // The units first, in reverse dependency order; then the services and their loggers.
        units.stopAll(() -> supervisor.shutdown(loop::stop));
    }

    /** "12 services and 3 units", or without the units when there are none. */
    private String running() {
        int unitCount = supervisor.units().size();
        return supervisor.services().size() + " services" + (unitCount == 0 ? "" : " and " + unitCount + " units");
    }

    private void rescan() {
        if (stopping) return;
        trees.forEach(ServiceTree::rescan);
        unitFilesChanged();
    }

    /**
     * Reads the unit files again once a burst of changes is over (an editor's save, a package's unpack), as a
     * daemon-reload would; not while an earlier Vigil's leftovers hold the units back, whose start reads them.
     */
    @Override
    public void unitFilesChanged() {
        if (unitFilesSettling != null || stopping) return;
        unitFilesSettling = loop.schedule(UNIT_FILES_SETTLE, () -> {
            unitFilesSettling = null;
            if (stopping || unitsHeldBack) return;
            units.reload(summary -> reporter.say("unit files changed: " + summary));
        });
    }

    // ---- ServiceHost: what the trees ask for ----

    @Override
    public void add(DirectorySpec spec) throws CannotSupervise {
        Optional<String> taken = nodeTaken(spec, spec.name());
        if (taken.isPresent()) throw new CannotSupervise(taken.get(), false);
        Optional<Service> existing = supervisor.get(spec.name());
        if (existing.isPresent()) {
            if (existing.get().want() == Want.EXIT || giveWay(spec.name(), "the service directory "
                    + spec.directory())) {
                waitingForName.put(spec.name(), spec);
                return;
            }
            throw new CannotSupervise("ignored: a service of that name is already supervised from "
                    + existing.get().spec().directory(), false);
        }
        HeldBack waiting = waitingForLeftovers.get(spec.name());
        if (waiting != null) {
            throw new CannotSupervise("ignored: a service of that name is already supervised from "
                    + waiting.spec.directory(), false);
        }
        Handover.Pair handedOver = resuming.remove(spec.name());
        if (handedOver != null && handedOver.directory().equals(spec.directory().toString())) {
            try {
                reexec.resume(spec, handedOver);
            } catch (SpawnException e) {
                throw new CannotSupervise(e.getMessage(), false);
            }
            addNode(spec, DirectoryNodes.nodeOf(spec));
            attachFifos(supervisor.get(spec.name()).orElseThrow());
            return;
        }
        if (handedOver != null) {
            reporter.say(spec.name(), "its directory is now " + spec.directory() + ", not " + handedOver.directory()
                    + "; stopping what ran from the old one");
            reexec.abandon(handedOver, true);
        }
        try {
            supervise.open(spec);
        } catch (IOException e) {
            throw new CannotSupervise(e.getMessage(), Errno.isShortage(e));
        }
        // Only now that its supervise/lock is ours: a process some live supervisor runs is no leftover.
        List<Leftovers.Found> found = findLeftovers(spec);
        if (!found.isEmpty()) {
            HeldBack held = new HeldBack(spec);
            waitingForLeftovers.put(spec.name(), held);
            leftovers.stop(spec.name(), found, () -> leftoversGone(held));
            return;
        }
        start(spec);
    }

    /**
     * What a previous Vigil left running of the service and its logger, as their {@code supervise/status} records
     * it, producer first.
     */
    private List<Leftovers.Found> findLeftovers(DirectorySpec spec) {
        List<Leftovers.Found> found = new ArrayList<>();
        List<DirectorySpec> both = new ArrayList<>(List.of(spec));
        spec.logger().ifPresent(both::add);
        for (DirectorySpec one : both) {
            SuperviseDir dir = supervise.directory(one);
            if (dir == null) continue;
            leftovers.recordedIn(one.name(), dir.directory())
                    .flatMap(recorded -> leftovers.check(one.name(), recorded, one.stop()))
                    .ifPresent(found::add);
        }
        return found;
    }

    /** Starts a held-back service once its leftovers are gone, unless it was removed meanwhile. */
    private void leftoversGone(HeldBack held) {
        if (!waitingForLeftovers.remove(held.spec.name(), held)) return;
        try {
            start(held.spec);
        } catch (CannotSupervise e) {
            reporter.say(held.spec.name(), e.getMessage());
        }
    }

    /**
     * Starts the service whose supervise/ is open; one that requires others waits for its start job, which the
     * dependency engine gives it.
     */
    private void start(DirectorySpec spec) throws CannotSupervise {
        DirectoryNodes.Added node = DirectoryNodes.nodeOf(spec);
        try {
            if (node.awaitsStart()) supervisor.addAwaitingStart(spec);
            else supervisor.add(spec);
            addNode(spec, node);
            trimSoon();
        } catch (SpawnException e) {
            forgetHalfAdded(spec);
            throw new CannotSupervise("cannot start: " + e.getMessage(), Errno.isShortage(e.errno()));
        } catch (IllegalArgumentException unitOfThatName) {
            forgetHalfAdded(spec);
            throw new CannotSupervise("ignored: " + unitOfThatName.getMessage(), false);
        }
        attachFifos(supervisor.get(spec.name()).orElseThrow());
    }

    /** The directory or transient service is a node of the dependency graph from now on. */
    private void addNode(DirectorySpec spec, DirectoryNodes.Added node) {
        node.problems().forEach(problem -> reporter.say(spec.name(), problem));
        boolean scanned = transientRoot == null || !spec.directory().startsWith(transientRoot);
        directoryNodes.add(spec, node, scanned);
        units.directoriesChanged();
    }

    /**
     * Why a directory of this name cannot be supervised, if it cannot: a unit file, or another directory, already
     * holds its node's name ({@code web.service} for {@code web}); {@code self} is the name it had, if any.
     */
    private Optional<String> nodeTaken(DirectorySpec spec, String self) {
        String node = DirectoryNodes.nodeName(spec.name());
        Optional<UnitService> unit = supervisor.unit(node);
        if (unit.isPresent()) {
            return Optional.of("ignored: the unit file " + unit.get().spec().source() + " is " + node
                    + " too; the service directory " + spec.directory() + " is not supervised");
        }
        return directoryNodes.directoryOf(node).filter(other -> !other.equals(self))
                .map(other -> "ignored: " + other + " is " + node + " too; the service directory "
                        + spec.directory() + " is not supervised");
    }

    /**
     * A failed add leaves nothing behind: not its supervise/ files, nor its name, if the supervisor took it before
     * the service failed to begin.
     */
    private void forgetHalfAdded(DirectorySpec spec) {
        if (supervisor.get(spec.name()).filter(s -> s.spec() == spec).isPresent()) supervisor.remove(spec.name());
        supervise.close(spec);
    }

    /**
     * Root's configuration claims a name: true if another user's transient service held it and is being removed
     * (see {@link ControlCommands#giveWay}).
     */
    private boolean giveWay(String name, String where) {
        return commands != null && commands.giveWay(name, where);
    }

    /** Reads the control FIFOs of the service and its logger, of those whose supervise/ is open yet. */
    private void attachFifos(Service main) {
        attachFifo(main);
        supervisor.get(main.name() + "/log").ifPresent(this::attachFifo);
    }

    private void attachFifo(Service service) {
        SuperviseDir dir = supervise.directory(service.spec());
        if (dir != null) fifos.attach(service, dir, service.name().endsWith("/log"));
    }

    /** A supervise/ directory made in the background is ready, or could not be had. */
    private final class SuperviseOpened implements SuperviseFiles.Listener {
        @Override
        public void opened(DirectorySpec spec, SuperviseDir dir) {
            supervisor.get(spec.name()).filter(s -> s.spec() == spec).ifPresent(Daemon.this::attachFifo);
        }

        @Override
        public void failed(DirectorySpec spec, IOException reason) {
            if (reason instanceof AlreadySupervisedException) {
                String main = spec.name().endsWith("/log") ? spec.name().substring(0, spec.name().length() - 4)
                        : spec.name();
                reporter.say(main, reason.getMessage() + "; stopping it here");
                supervisor.remove(main);
            } else {
                reporter.say(spec.name(), "supervise/ is not kept: " + reason.getMessage());
            }
        }
    }

    private void detachFifos(Service main) {
        fifos.detach(main);
        supervisor.get(main.name() + "/log").ifPresent(fifos::detach);
    }

    @Override
    public void remove(String name) {
        waitingForName.remove(name);
        HeldBack held = waitingForLeftovers.remove(name);
        if (held != null) supervise.close(held.spec);
        supervisor.remove(name);
    }

    @Override
    public void rename(String from, DirectorySpec renamed) throws CannotSupervise {
        String to = renamed.name();
        Optional<Service> holder = supervisor.get(to);
        if (holder.isPresent() || supervisor.unit(to).isPresent() || waitingForLeftovers.containsKey(to)
                || nodeTaken(renamed, from).isPresent()) {
            throw new CannotSupervise(holder.filter(s -> s.want() == Want.EXIT).isPresent()
                    ? "its new name is still held by a service that is stopping"
                    : "its new name is taken by another service", false);
        }
        // Still waiting for its old name to be free: under its new one, which is free, it starts now.
        DirectorySpec waiting = waitingForName.remove(from);
        if (waiting != null) {
            add(renamed);
            return;
        }
        HeldBack held = waitingForLeftovers.remove(from);
        if (held != null) {
            supervise.moved(held.spec, renamed);
            held.spec = renamed;
            waitingForLeftovers.put(to, held);
            return;
        }
        Optional<Service> service = supervisor.get(from);
        if (service.isEmpty()) return;
        DirectorySpec old = service.get().spec();
        // The FIFOs are reopened at the new path: stop reading the old fds before they are closed.
        detachFifos(service.get());
        supervisor.rename(from, renamed);
        directoryNodes.rename(from, renamed);
        units.directoriesChanged();
        supervise.moved(old, renamed);
        supervise.stateChanged(service.get());
        attachFifos(service.get());
    }

    /** Writes supervise/ files and messages, and starts a service that waited for its name to be free. */
    private final class Listener implements ServiceListener {
        @Override
        public void stateChanged(Service service) {
            supervise.stateChanged(service);
            duties.critical().changed(service).ifPresent(Daemon.this::criticalEnded);
            if (sockets != null) sockets.serviceChanged(service.name(), service.state() instanceof ServiceState.Down);
            // The engine first: a job this change ends is over when the control socket's waiters look.
            units.directoryChanged(service.name());
            if (commands != null) commands.stateChanged(service);
        }

        @Override
        public void event(Service service, ServiceEvent event) {
            counters.serviceEvent(event);
            reporter.event(service, event);
            if (commands != null) commands.event(service, event);
        }

        @Override
        public void removed(Service service) {
            fifos.detach(service);
            if (commands != null) commands.removed(service);
            supervise.close(service.spec(), commands == null ? null : () -> commands.filesClosed(service));
            String name = service.name().endsWith("/log")
                    ? service.name().substring(0, service.name().length() - 4) : service.name();
            if (name.equals(service.name())) {
                directoryNodes.remove(name);
                units.directoriesChanged();
            }
            if (stopping || supervisor.get(name).isPresent()) return;
            DirectorySpec waiting = waitingForName.remove(name);
            if (waiting == null) {
                // A directory or unit refused while the name was taken gets it now.
                for (ServiceTree tree : trees) tree.nameFreed(name);
                units.nameFreed(name);
                return;
            }
            try {
                add(waiting);
            } catch (CannotSupervise e) {
                reporter.say(waiting.name(), e.getMessage());
            }
        }
    }

    /** Says what units do, and tells the control socket's waiters. */
    private final class UnitControl implements UnitListener {
        @Override
        public void stateChanged(UnitService unit) {
            if (unitPids != null) unitPids.changed(unit);
            busNames.unitChanged(unit);
            duties.critical().changed(unit).ifPresent(Daemon.this::criticalEnded);
            // The engine first: a job this change ends is over when the control socket's waiters look.
            units.unitChanged(unit.name());
            if (sockets != null) sockets.serviceChanged(unit.name(), DaemonSockets.down(unit));
            if (DaemonSockets.down(unit)) {
                fdStore.stopped(unit.name(), unit.spec().fdStore().preserve(), unit.startFollows());
            }
            if (commands != null) commands.unitChanged(unit);
        }

        @Override
        public void event(UnitService unit, UnitEvent event) {
            counters.unitEvent(event);
            reporter.say(unit.name(), event.describe());
            if (commands != null) commands.unitEvent(unit, event);
        }

        @Override
        public void removed(UnitService unit) {
            if (unitPids != null) unitPids.removed(unit);
            fdStore.release(unit.name());
            if (commands != null) commands.unitRemoved(unit);
            if (!stopping) units.nameFreed(unit.name());
        }
    }

    /** Says what the job engine did; a job that ended some other way than done is news to its waiters too. */
    private final class UnitJobs implements JobListener {
        @Override
        public void queued(Job job) {
            if (commands != null) commands.jobEvent(job, JobEvents.Phase.QUEUED, null);
        }

        @Override
        public void started(Job job) {
            if (commands != null) commands.jobEvent(job, JobEvents.Phase.STARTED, null);
        }

        @Override
        public void finished(Job job, JobResult result) {
            if (commands != null) commands.jobEvent(job, JobEvents.Phase.FINISHED, result);
            if (result == JobResult.DONE) return;
            reporter.say(job.unit(), job.type().word() + " job ended: " + result.word());
            if (commands != null) supervisor.unit(job.unit()).ifPresent(commands::unitChanged);
        }

        @Override
        public void say(String unit, String message) {
            reporter.say(unit, message);
        }

        @Override
        public void reached(String target, EngineMeter.Reading engine) {
            reporter.say(target, "reached (the job engine so far: " + engine.describe() + ")");
        }
    }

    /** What the HTTP endpoints read besides the status entries; on the loop thread, fields only. */
    private final class HttpFacts implements DaemonView {
        private final ControlServer server;

        HttpFacts(ControlServer server) {
            this.server = server;
        }

        @Override
        public List<DaemonView.ServiceFacts> services() {
            List<DaemonView.ServiceFacts> facts = new ArrayList<>();
            for (Service s : supervisor.services()) {
                ServiceLogs.Capture c = s.output() instanceof Stdio.Log l ? (ServiceLogs.Capture) l.log() : null;
                facts.add(new DaemonView.ServiceFacts(s.name(), processes.tracking().directory(s.name()),
                        c == null ? 0 : c.loggedBytes(), c == null ? 0 : c.loggedLines()));
            }
            for (UnitService u : supervisor.units()) {
                ServiceLogs.Capture c = u.output() instanceof Stdio.Log l ? (ServiceLogs.Capture) l.log() : null;
                // A unit's usage is in its status entry already (its cgroups are the resource control's).
                facts.add(new DaemonView.ServiceFacts(u.name(), Optional.empty(), c == null ? 0 : c.loggedBytes(),
                        c == null ? 0 : c.loggedLines()));
            }
            return facts;
        }

        @Override
        public boolean settled() {
            return settled;
        }

        @Override
        public boolean stopping() {
            return stopping;
        }

        @Override
        public long droppedSubscribers() {
            return server.droppedSubscribers();
        }
    }

    /** What the control socket's commands may do to this daemon. */
    private final class Control implements ControlHost {
        @Override
        public Map<String, String> refused() {
            Map<String, String> all = new java.util.TreeMap<>(units.refused());
            for (ServiceTree tree : trees) all.putAll(tree.refused());
            return all;
        }

        @Override
        public List<Map<String, Object>> sockets() {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (SocketUnits.Row r : sockets.rows()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("listen", r.listen());
                row.put("type", r.kind());
                row.put("unit", r.unit());
                row.put("activates", r.activates());
                row.put("state", r.state());
                row.put("accepted", r.accepted());
                row.put("connections", r.connections());
                rows.add(row);
            }
            return rows;
        }

        @Override
        public Collection<Service> services() {
            return supervisor.services();
        }

        @Override
        public Optional<Service> service(String name) {
            Optional<Service> service = supervisor.get(name);
            // A service directory web is web.service too, unless a unit has that name.
            return service.isPresent() || supervisor.unit(name).isPresent() ? service
                    : directoryNodes.directoryOf(name).flatMap(supervisor::get);
        }

        @Override
        public Optional<JobEngine.Outcome> directoryJob(JobType type, String name) {
            return units.directoryJob(type, name);
        }

        @Override
        public void add(DirectorySpec spec) throws Protocol.Failure {
            try {
                Daemon.this.add(spec);
            } catch (CannotSupervise e) {
                throw new Protocol.Failure(Protocol.Error.FAILED, spec.name() + ": " + e.getMessage());
            }
            if (waitingForLeftovers.containsKey(spec.name())) {
                // What a previous Vigil left of it is being stopped: no start that the reply cannot show.
                Daemon.this.remove(spec.name());
                throw new Protocol.Failure(Protocol.Error.FAILED, spec.name() + ": a copy left running by a "
                        + "previous Vigil is being stopped; add it again once it is gone");
            }
            if (supervisor.get(spec.name()).isEmpty()) {
                // Its name is still held by a service that is stopping; it would start once that one is gone.
                waitingForName.remove(spec.name());
                throw new Protocol.Failure(Protocol.Error.EXISTS, spec.name() + ": the name is taken by a service "
                        + "that is still stopping");
            }
        }

        @Override
        public void remove(String name) {
            supervisor.remove(name);
        }

        @Override
        public Collection<UnitService> units() {
            return supervisor.units();
        }

        @Override
        public Optional<UnitService> unit(String name) {
            return supervisor.unit(name.contains(".") ? name : name + ".service");
        }

        @Override
        public JobEngine.Outcome unitJob(JobType type, String name) {
            return units.job(type, name);
        }

        @Override
        public JobEngine.Outcome isolate(String target) {
            return units.isolate(target);
        }

        @Override
        public List<Path> unitDirectories() {
            return units.directories();
        }

        @Override
        public JobEngine engine() {
            return units.engine();
        }

        @Override
        public String description(String name) {
            return units.about(name).map(UnitTable.About::description).orElse("");
        }

        @Override
        public Optional<Path> unitFile(String name) {
            return units.about(name).map(UnitTable.About::file);
        }

        @Override
        public void daemonReload(Consumer<String> done) {
            if (unitsHeldBack) {
                done.accept("not yet: the units start once what a previous Vigil left of them is gone");
                return;
            }
            units.reload(summary -> {
                reporter.say("daemon-reload: " + summary);
                done.accept(summary);
            });
        }

        @Override
        public void rescan() {
            Daemon.this.rescan();
        }

        @Override
        public void daemonReexec(ControlServer.Client client, Object id, Consumer<String> failed) {
            reexec.request(client, id, failed);
        }

        @Override
        public void shutdown(String why, Optional<Ending> then) {
            Daemon.this.shutdown(why, new StopCause.Requested(then));
        }

        @Override
        public boolean stopping() {
            return stopping;
        }

        @Override
        public Path logRoot() {
            return logs.root();
        }

        @Override
        public Optional<Path> logDirectory(Service service) {
            return capture(service).map(ServiceLogs.Capture::directory);
        }

        @Override
        public Optional<Map<String, Object>> cgroupStatus(String name) {
            return processes.tracking().status(name);
        }

        @Override
        public Optional<Path> logDirectory(UnitService unit) {
            return unit.output() instanceof Stdio.Log l ? Optional.of(((ServiceLogs.Capture) l.log()).directory())
                    : Optional.empty();
        }

        @Override
        public Optional<vigil.resources.ResourceUsage> resourceUsage(UnitService unit) {
            return serviceResources.usage(unit.name());
        }

        @Override
        public Optional<vigil.resources.ResourceUsage> resourceUsage(String directoryService) {
            return serviceResources.usage(directoryService);
        }

        @Override
        public Path rotateLog(String name) throws Protocol.Failure {
            Optional<Service> service = supervisor.get(name);
            if (service.isEmpty() && name.equals(LogLocation.OWN)) {
                if (!reporter.rotateLog()) {
                    throw new Protocol.Failure(Protocol.Error.FAILED, "Vigil's own log is not open");
                }
                return LogLocation.ownDirectory(logs.root());
            }
            if (service.isEmpty()) {
                throw new Protocol.Failure(Protocol.Error.UNKNOWN_SERVICE, name + ": no such service");
            }
            Optional<ServiceLogs.Capture> capture = capture(service.get());
            if (capture.isEmpty()) {
                throw new Protocol.Failure(Protocol.Error.FAILED, name + ": its output goes to its logger " + name
                        + "/log, which keeps its own log (svlogd rotates on ALRM: sv alarm " + name + "/log)");
            }
            if (!capture.get().rotate()) {
                throw new Protocol.Failure(Protocol.Error.FAILED, name + ": cannot open its log "
                        + capture.get().directory() + " (see the daemon's log)");
            }
            return capture.get().directory();
        }

        /** The built-in log the service's stdout goes to; none for a service whose logger reads it. */
        private Optional<ServiceLogs.Capture> capture(Service service) {
            return service.output() instanceof Stdio.Log l ? Optional.of((ServiceLogs.Capture) l.log())
                    : Optional.empty();
        }
    }
}
