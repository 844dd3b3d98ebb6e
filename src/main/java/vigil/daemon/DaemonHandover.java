package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import vigil.control.ControlServer;
import vigil.control.Json;
import vigil.control.Protocol;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.UnitSpec;
import vigil.os.Children;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Signals;
import vigil.reexec.Handover;
import vigil.reexec.Reexec;
import vigil.service.Service;
import vigil.socket.FdStore;
import vigil.socket.SocketUnits;
import vigil.service.ServiceSnapshot;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.service.UnitService;
import vigil.service.UnitSnapshot;
import vigil.supervise.SuperviseDir;
import vigil.supervise.SuperviseFiles;

/**
 * {@code daemon-reexec}, the daemon's side of both ends. The old daemon waits for a quiet moment (no process
 * between two states), gathers every service directory's state and fds into a {@link Handover}, and execs (see
 * {@link Reexec}); if the exec fails it puts everything back and goes on. The new daemon takes each pair up again
 * when its scan finds the directory, and answers the request once the scan is done and the units are taken up.
 *
 * <p>Units are handed over in their state (running, exited, dead, failed, waiting to restart) with their log pipe
 * and notify socket; a unit with a control process running, or in a phase with a timeout, is waited for as a
 * service between two states is. The new daemon loads the unit files again (a changed file applies from the unit's
 * next start, as after systemd's daemon-reexec) and takes each unit up when its file is loaded. Transient services
 * are pairs like the others, with what made them (command, user, restart rule, owner) beside.
 *
 * <p>Socket units are handed over bound, with their fds (so a client waiting in a backlog is served by the service
 * the new daemon watches for), and the services' fd stores with their names.
 *
 * <p>What is not handed over: the control connections other than the one that asked (their clients see the
 * connection end), pidfds and every fd that can be made again (epoll, inotify, signalfd, timers, log files). pidfds
 * are opened anew: a child's pid cannot be reused before its parent reaps it, and the parent is still this process;
 * a unit's main process that is no child (a forking daemon's, a {@code MAINPID=}'s) is pinned by a new pidfd and
 * taken only if it started when the old daemon recorded (see {@link LinuxProcesses#retake}).
 */
final class DaemonHandover {
    /** How long a request waits for a quiet moment before it is refused. */
    private static final Duration QUIET_WAIT = Duration.ofSeconds(10);
    private static final Duration QUIET_RETRY = Duration.ofMillis(20);
    /** How long the supervise/ writer may take to write what is queued. */
    private static final Duration WRITER_WAIT = Duration.ofSeconds(5);

    private final EventLoop loop;
    private final Supervisor supervisor;
    private final SuperviseFiles supervise;
    private final LinuxProcesses processes;
    private final ServiceLogs logs;
    private final Reporter reporter;
    private final UnitNotifySockets unitSockets;
    /** Why the daemon as a whole cannot hand over now (a shutdown, services waiting), if so. */
    private final Supplier<Optional<String>> daemonBusy;
    /** The transient services' names, with the uid that added each. */
    private final Supplier<Map<String, Integer>> transientOwners;
    private final SocketUnits sockets;
    private final FdStore fdStore;
    private OptionalInt controlFd = OptionalInt.empty();
    private boolean underWay;

    DaemonHandover(EventLoop loop, Supervisor supervisor, SuperviseFiles supervise, LinuxProcesses processes,
                   ServiceLogs logs, Reporter reporter, UnitNotifySockets unitSockets,
                   Supplier<Optional<String>> daemonBusy, Supplier<Map<String, Integer>> transientOwners,
                   SocketUnits sockets, FdStore fdStore) {
        this.sockets = sockets;
        this.fdStore = fdStore;
        this.loop = loop;
        this.supervisor = supervisor;
        this.supervise = supervise;
        this.processes = processes;
        this.logs = logs;
        this.reporter = reporter;
        this.unitSockets = unitSockets;
        this.daemonBusy = daemonBusy;
        this.transientOwners = transientOwners;
    }

    /** The listening control socket to hand over. */
    void controlSocket(int fd) {
        controlFd = OptionalInt.of(fd);
    }

    // ---- the old daemon ----

    /**
     * Re-executes once nothing is between two states, waiting up to {@link #QUIET_WAIT} for that. The new daemon
     * answers on {@code client}'s connection; {@code failed} hears why not if it does not happen.
     */
    void request(ControlServer.Client client, Object id, Consumer<String> failed) {
        if (underWay) {
            failed.accept("a re-exec is already under way");
            return;
        }
        underWay = true;
        attempt(client, id, failed, System.nanoTime() + QUIET_WAIT.toNanos());
    }

    /** Why the daemon cannot hand over now, and whether waiting may help (a process is between two states). */
    private record Busy(String why, boolean passes) {}

    private void attempt(ControlServer.Client client, Object id, Consumer<String> failed, long deadline) {
        if (!client.isOpen()) {
            // Its fd may be another file's by now: nothing may be handed over as the reply's.
            underWay = false;
            reporter.say("re-exec called off: the client that asked for it has gone");
            return;
        }
        Optional<Busy> busy = notQuiet();
        if (busy.isPresent() && busy.get().passes() && System.nanoTime() - deadline < 0) {
            loop.schedule(QUIET_RETRY, () -> attempt(client, id, failed, deadline));
            return;
        }
        underWay = false;
        if (busy.isPresent()) {
            failed.accept("not re-executed: " + busy.get().why() + (busy.get().passes() ? " (waited "
                    + QUIET_WAIT.toSeconds() + "s)" : ""));
            return;
        }
        String why = execNow(client.fd(), id);
        reporter.say("re-exec failed, carrying on: " + why);
        failed.accept("re-exec failed: " + why);
    }

    /** Why not now, if not. */
    private Optional<Busy> notQuiet() {
        Optional<String> daemon = daemonBusy.get();
        if (daemon.isPresent()) return Optional.of(new Busy(daemon.get(), false));
        Set<Integer> running = new HashSet<>();
        for (Service service : supervisor.services()) {
            switch (service.snapshot()) {
                case Service.Result.Busy<ServiceSnapshot> b -> {
                    return Optional.of(new Busy(b.why(), true));
                }
                case Service.Result.Ready<ServiceSnapshot> r -> {
                    if (r.value().phase() instanceof ServiceSnapshot.Phase.Up u) running.add(u.pid());
                }
            }
        }
        for (UnitService unit : supervisor.units()) {
            switch (unit.snapshot()) {
                case Service.Result.Busy<UnitSnapshot> b -> {
                    return Optional.of(new Busy(b.why(), true));
                }
                case Service.Result.Ready<UnitSnapshot> r -> r.value().main().ifPresent(m -> running.add(m.pid()));
            }
        }
        return processes.notQuiet(running).map(why -> new Busy(why, true));
    }

    /** Gathers the state and execs; returns only if that failed, with why, after putting everything back. */
    private String execNow(int replyFd, Object id) {
        if (!supervise.pauseWriter(WRITER_WAIT)) {
            supervise.resumeWriter();
            return "the supervise/ writer did not catch up within " + WRITER_WAIT.toSeconds() + "s";
        }
        List<Runnable> undo = new ArrayList<>();
        try {
            List<Handover.Pair> pairs = new ArrayList<>();
            for (Supervisor.PairView view : supervisor.pairs()) pairs.add(pair(view, undo));
            List<Handover.Unit> units = new ArrayList<>();
            for (Supervisor.UnitView view : supervisor.unitViews()) units.add(unit(view, undo));
            List<Handover.Transient> transients = new ArrayList<>();
            transientOwners.get().forEach((name, owner) -> supervisor.get(name)
                    .ifPresent(service -> transients.add(transientService(service.spec(), owner))));
            Handover handover = new Handover(controlFd, Optional.of(new Handover.Reply(replyFd, id)), pairs, units,
                    transients, sockets.handOver(), fdStore.handOver());
            reporter.say("re-executing, handing over " + supervisor.services().size() + " services ("
                    + transients.size() + " transient) and " + units.size() + " units");
            reporter.closeLog();
            undo.add(this::reopenOwnLog);
            processes.closeReadySockets();
            Reexec.exec(handover);
            throw new IllegalStateException("execve returned");
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        } finally {
            for (Runnable step : undo.reversed()) step.run();
            supervise.resumeWriter();
        }
    }

    private Handover.Pair pair(Supervisor.PairView view, List<Runnable> undo) throws OsException {
        ServiceLogs.Capture capture = (ServiceLogs.Capture) view.log();
        ServiceLogs.Capture.HandedOver log = capture.handOver();
        undo.add(() -> capture.execFailed(log));
        Optional<Handover.PipeFds> pipe = Optional.empty();
        if (view.pipe() != null) {
            int[] ends = LinuxProcesses.ends(view.pipe());
            pipe = Optional.of(new Handover.PipeFds(ends[0], ends[1]));
        }
        return new Handover.Pair(view.main().name(), view.main().spec().directory().toString(),
                snapshot(view.main()), Optional.ofNullable(view.logger()).map(DaemonHandover::snapshot), pipe,
                new Handover.LogPipe(log.readFd(), log.writeFd(), log.partial()), supervise(view.main()),
                Optional.ofNullable(view.logger()).flatMap(this::supervise));
    }

    private Handover.Unit unit(Supervisor.UnitView view, List<Runnable> undo) throws OsException {
        String name = view.unit().name();
        if (!(view.unit().snapshot() instanceof Service.Result.Ready<UnitSnapshot> state)) {
            throw new IllegalStateException(name + " is no longer quiet");
        }
        ServiceLogs.Capture capture = (ServiceLogs.Capture) view.log();
        ServiceLogs.Capture.HandedOver log = capture.handOver();
        undo.add(() -> capture.execFailed(log));
        OptionalInt notify = unitSockets.handOver(name);
        undo.add(() -> unitSockets.execFailed(name));
        return new Handover.Unit(name, state.value(), new Handover.LogPipe(log.readFd(), log.writeFd(),
                log.partial()), notify);
    }

    private static Handover.Transient transientService(DirectorySpec spec, int owner) {
        Command run = spec.run();
        return new Handover.Transient(spec.name(), owner, run.executable().toString(), run.argv(),
                run.workingDirectory().toString(), run.environment(), run.user(), spec.restart().when());
    }

    private static ServiceSnapshot snapshot(Service service) {
        if (service.snapshot() instanceof Service.Result.Ready<ServiceSnapshot> r) return r.value();
        throw new IllegalStateException(service.name() + " is no longer quiet");
    }

    private Optional<Handover.Supervise> supervise(Service service) {
        SuperviseFiles.HandedOver h = supervise.handOver(service.spec());
        if (h == null) return Optional.empty();
        int[] fds = h.dir().fds();
        return Optional.of(new Handover.Supervise(h.dir().directory().toString(), fds[0], fds[1], fds[2],
                h.stamp(), h.lastPid(), h.lastState()));
    }

    private void reopenOwnLog() {
        try {
            reporter.logTo(loop, logs.openOwn());
        } catch (IOException e) {
            reporter.say("cannot reopen Vigil's own log, so its messages go to stderr only: " + e.getMessage());
        }
    }

    // ---- the new daemon ----

    /**
     * Supervises {@code spec} as the old daemon left it: its pipes, supervise/ and processes taken over.
     *
     * @throws SpawnException if that cannot be done; the pair's fds are closed and its processes asked to stop
     */
    void resume(DirectorySpec spec, Handover.Pair pair) throws SpawnException {
        ServiceLogs.Capture log = null;
        try {
            log = logs.adopt(spec.logger().map(DirectorySpec::name).orElse(spec.name()),
                    spec.logger().isPresent() ? spec.logger().get().logDirectory() : spec.logDirectory(),
                    pair.log().readFd(), pair.log().writeFd(), pair.log().partial());
            supervise.adopt(spec, handedOver(pair.superviseMain()));
            if (spec.logger().isPresent()) supervise.adopt(spec.logger().get(), handedOver(pair.superviseLogger()));
            supervisor.resume(spec, pair.pipe().map(p -> LinuxProcesses.adoptPipe(p.readFd(), p.writeFd()))
                    .orElse(null), log, pair.main(), pair.logger());
        } catch (IOException | IllegalArgumentException e) {
            if (log != null) log.close();
            supervise.close(spec);
            spec.logger().ifPresent(supervise::close);
            abandon(pair, false);
            throw new SpawnException("cannot take it over after the re-exec: " + e.getMessage(), 0);
        } catch (SpawnException e) {
            if (log != null) log.close();
            supervise.close(spec);
            spec.logger().ifPresent(supervise::close);
            abandon(pair, false);
            throw e;
        }
    }

    private static SuperviseFiles.HandedOver handedOver(Optional<Handover.Supervise> s) throws IOException {
        if (s.isEmpty()) return null;
        Handover.Supervise d = s.get();
        return new SuperviseFiles.HandedOver(SuperviseDir.adopt(Path.of(d.directory()), d.lockFd(), d.controlFd(),
                d.okFd()), d.stamp(), d.lastPid(), d.lastState());
    }

    /**
     * A pair the new daemon does not take up (its directory went away during the exec): its processes are asked to
     * stop (they are still this process's children, and reaped as such) and its fds closed.
     *
     * @param fds whether to close the fds too (not when {@link #resume} already did)
     */
    void abandon(Handover.Pair pair, boolean fds) {
        List<ServiceSnapshot> states = new ArrayList<>(List.of(pair.main()));
        pair.logger().ifPresent(states::add);
        for (ServiceSnapshot s : states) {
            if (!(s.phase() instanceof ServiceSnapshot.Phase.Up u)) continue;
            try {
                Children.sendSignal(u.pid(), Signals.SIGTERM);
                Children.sendSignal(u.pid(), Signals.SIGCONT);
            } catch (OsException e) {
                reporter.say(pair.name(), "cannot stop pid " + u.pid() + ": " + e.getMessage());
            }
        }
        if (!fds) return;
        pair.pipe().ifPresent(p -> {
            Fds.close(p.readFd());
            Fds.close(p.writeFd());
        });
        Fds.close(pair.log().readFd());
        Fds.close(pair.log().writeFd());
        for (Optional<Handover.Supervise> s : List.of(pair.superviseMain(), pair.superviseLogger())) {
            s.ifPresent(d -> {
                Fds.close(d.okFd());
                Fds.close(d.controlFd());
                Fds.close(d.lockFd());
            });
        }
    }

    /**
     * Supervises a unit as the old daemon left it, with {@code spec} as its file says now: its log and notify
     * socket taken over, its main process taken again.
     *
     * @throws SpawnException if its log cannot be taken over; its fds are closed and its main process stopped
     */
    void resumeUnit(UnitSpec spec, Handover.Unit unit) throws SpawnException {
        ServiceLogs.Capture log;
        try {
            log = logs.adopt(spec.name(), Optional.empty(), unit.log().readFd(), unit.log().writeFd(),
                    unit.log().partial());
        } catch (OsException e) {
            abandonUnit(unit);
            throw new SpawnException("cannot take it over after the re-exec: " + e.getMessage(), e.errno());
        }
        unit.notifyFd().ifPresent(fd -> unitSockets.handedOver(spec.name(), fd));
        supervisor.resumeUnit(spec, log, unit.state());
    }

    /**
     * A unit the new daemon does not take up (its file is gone or no longer loads): its main process is asked to
     * stop, if it is still the one recorded, and its log pipe closed. Its notify socket goes with
     * {@link UnitNotifySockets#closeUntaken}.
     */
    void abandonUnit(Handover.Unit unit) {
        unit.state().main().ifPresent(main -> {
            if (!processes.signalIfSame(main, Signals.SIGTERM) || !processes.signalIfSame(main, Signals.SIGCONT)) {
                reporter.say(unit.name(), "main process pid " + main.pid() + " is gone since the re-exec");
            }
        });
        Fds.close(unit.log().readFd());
        Fds.close(unit.log().writeFd());
        unit.notifyFd().ifPresent(fd -> unitSockets.handedOver(unit.name(), fd));
    }

        /** Tells the client that asked: the new daemon is up and has taken over every service it could. */
    static void reply(Handover.Reply reply, int services) {
        Map<String, Object> ok = Protocol.ok(reply.id());
        ok.put("pid", (long) Children.getpid());
        ok.put("services", (long) services);
        byte[] line = (Json.write(ok) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Fds.write(reply.fd(), line, 0, line.length);
        } catch (OsException e) {
            // The client has gone: there is no one left to tell.
        } finally {
            Fds.close(reply.fd());
        }
    }
}
