package vigil.control;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Predicate;
import vigil.deps.Job;
import vigil.deps.JobEngine;
import vigil.deps.JobResult;
import vigil.deps.JobType;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.control.Request.Action;
import vigil.log.LogLocation;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.model.RestartPolicy;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.os.UnixSocket.PeerCredentials;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceState;
import vigil.service.UnitEvent;
import vigil.service.UnitService;
import vigil.service.Want;

/**
 * Carries out control requests against the daemon's services, and turns what happens to services into replies
 * for waiting clients and events for subscribers. Runs on the loop thread; the daemon forwards its service
 * listener's calls to {@link #stateChanged}, {@link #event} and {@link #removed}.
 */
public final class ControlCommands implements ControlServer.LineHandler {
    private final ControlHost host;
    private final Access access;
    private final Consumer<String> say;
    private final TransientServices transients;
    /** Each subscriber with the service names it follows (empty: all). */
    private final Map<ControlServer.Client, Set<String>> subscribers = new LinkedHashMap<>();
    private final ServiceWaits waits;
    /** The state each service was last seen in, to tell subscribers when one comes to a stop. */
    private final Map<Service, ServiceState> lastState = new IdentityHashMap<>();
    private final UnitWaits unitWaits;
    private final TargetJobs targetJobs;
    /** The last error and the recent restarts of each service and unit, for status. */
    private final Troubles troubles = new Troubles();

    /**
     * @param runtimeDirectory where transient services keep their {@code supervise/} state
     * @param userServices     how many transient services each user but root and the daemon's owner may have
     * @param say              lines for the daemon's log
     */
    public ControlCommands(EventLoop loop, ControlHost host, int daemonUid, Path runtimeDirectory, Users users,
                           int userServices, Consumer<String> say) {
        this.host = host;
        this.access = new Access(daemonUid);
        this.say = say;
        this.unitWaits = new UnitWaits(loop);
        this.targetJobs = new TargetJobs(loop, host, access);
        this.waits = new ServiceWaits(loop, this::okWith);
        // One thread, so the disk work of adds and removes is done in the order asked.
        Executor io = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("vigil-transient-io").daemon()
                .factory());
        this.transients = new TransientServices(loop, host, access, runtimeDirectory.resolve("transient"), users, io,
                waits, this::okWith, say, userServices);
    }

    // ---- requests ----

    @Override
    public void line(ControlServer.Client client, String line) {
        Object json;
        try {
            json = Json.parse(line);
        } catch (Json.ParseException e) {
            client.send(Protocol.error(null, Error.BAD_REQUEST, e.getMessage()));
            return;
        }
        Object id = RequestParser.id(json);
        try {
            execute(client, id, RequestParser.parse(json));
        } catch (Failure f) {
            client.send(Protocol.error(id, f.error(), f.getMessage()));
        } catch (RuntimeException e) {
            say.accept("control: internal error on " + line + ": " + e);
            client.send(Protocol.error(id, Error.FAILED, "internal error: " + e));
        }
    }

    @Override
    public void closed(ControlServer.Client client) {
        subscribers.remove(client);
        unitWaits.closed(client);
        targetJobs.closed(client);
        waits.closed(client);
    }

    private void execute(ControlServer.Client client, Object id, Request request) throws Failure {
        PeerCredentials caller = client.peer();
        switch (request) {
            case Request.Hello h -> {
                Map<String, Object> reply = Protocol.ok(id);
                reply.put("protocol", Protocol.VERSION);
                reply.put("version", version());
                reply.put("pid", ProcessHandle.current().pid());
                reply.put("daemon_uid", access.daemonUid());
                reply.put("uid", caller.uid());
                reply.put("log_dir", host.logRoot().toString());
                reply.put("unit_dirs", host.unitDirectories().stream().map(Path::toString).toList());
                client.send(reply);
            }
            case Request.Status s -> client.send(status(id, s.names()));
            case Request.Act a -> act(client, id, a);
            case Request.Wait w -> {
                Service service = find(w.name());
                Predicate<Service> done = switch (w.until()) {
                    case UP -> ServiceWaits::isUp;
                    case READY -> Service::ready;
                    case DOWN -> ControlCommands::isDown;
                };
                waits.await(client, id, service, w.until().name().toLowerCase(Locale.ROOT), done, false,
                        w.timeout().orElse(null), service.pid());
            }
            case Request.Add a -> transients.add(client, id, a);
            case Request.Remove r -> transients.remove(client, id, r);
            case Request.Reload r -> {
                UnitService u = findUnit(r.name());
                access.checkOwner(caller, "reload " + u.name());
                if (!reloaded(u)) {
                    throw new Failure(Error.FAILED, u.name() + ": cannot reload: it is " + u.state().activeState()
                            + (u.state().activeState().equals("active") ? " and has no ExecReload= (and is not "
                            + "Type=notify-reload)" : ""));
                }
                client.send(okWithUnit(id, u));
            }
            case Request.Isolate i -> {
                String target = i.name().contains(".") ? i.name() : i.name() + ".target";
                access.checkOwner(caller, "isolate " + target);
                if (host.stopping()) throw new Failure(Error.SHUTTING_DOWN, target + ": the daemon is shutting down");
                if (host.isolate(target) instanceof JobEngine.Outcome.Refused r) {
                    throw new Failure(Error.FAILED, target + ": isolate refused: " + r.reason());
                }
                client.send(Protocol.ok(id));
            }
            case Request.ResetFailed r -> {
                UnitService u = findUnit(r.name());
                access.checkOwner(caller, "reset " + u.name());
                u.resetFailed();
                client.send(okWithUnit(id, u));
            }
            case Request.DaemonReload r -> {
                access.checkOwner(caller, "reload the unit files");
                // Units added now would outlive the shutdown, which stops what is there when it begins.
                if (host.stopping()) {
                    throw new Failure(Error.SHUTTING_DOWN, "the daemon is shutting down: the unit files are not read");
                }
                // Answered once the read is applied: no later request of this client is read before.
                client.hold();
                host.daemonReload(summary -> {
                    Map<String, Object> reply = Protocol.ok(id);
                    reply.put("summary", summary);
                    client.send(reply);
                    client.resume();
                });
            }
            case Request.DaemonReexec r -> {
                access.checkOwner(caller, "re-execute the daemon");
                if (host.stopping()) {
                    throw new Failure(Error.SHUTTING_DOWN, "the daemon is shutting down: it is not re-executed");
                }
                // The new daemon answers on this connection once it is up; no other request is read meanwhile.
                client.hold();
                host.daemonReexec(client, id, why -> {
                    client.send(Protocol.error(id, Error.FAILED, why));
                    client.resume();
                });
            }
            case Request.ListSockets l -> {
                Map<String, Object> reply = Protocol.ok(id);
                reply.put("sockets", host.sockets());
                client.send(reply);
            }
            case Request.Rescan r -> {
                access.checkOwner(caller, "rescan the service directories");
                host.rescan();
                client.send(Protocol.ok(id));
            }
            case Request.Rotate r -> {
                String name = r.name().endsWith(".log") ? r.name().substring(0, r.name().length() - 4) + "/log"
                        : r.name();
                if (name.equals(LogLocation.OWN) && host.service(name).isEmpty()) {
                    access.checkOwner(caller, "rotate the daemon's own log");
                } else {
                    access.checkControl(caller, find(name), "rotate the log of");
                }
                Map<String, Object> reply = Protocol.ok(id);
                reply.put("log", host.rotateLog(name).toString());
                client.send(reply);
            }
            case Request.Shutdown s -> {
                access.checkOwner(caller, "shut the daemon down");
                Map<String, Object> reply = Protocol.ok(id);
                reply.put("services", host.services().size());
                client.send(reply);
                // The connection stays open until the daemon exits: its end tells the client the job is done.
                client.hold();
                host.shutdown("shutdown" + s.then().map(then -> " (then " + then.word() + ")").orElse("")
                        + " requested over the control socket by uid " + caller.uid(), s.then());
            }
            case Request.Units u -> client.send(UnitsQuery.reply(id, host, u.names()));
            case Request.Jobs j -> client.send(JobsQuery.reply(id, host.engine()));
            case Request.Subscribe s -> {
                client.send(Protocol.ok(id));
                client.subscribe();
                subscribers.put(client, Set.copyOf(s.names()));
            }
        }
    }

    private Service find(String name) throws Failure {
        return host.service(name).orElseThrow(() -> new Failure(Error.UNKNOWN_SERVICE, name + ": no such service"));
    }

    private UnitService findUnit(String name) throws Failure {
        return host.unit(name).orElseThrow(() -> new Failure(Error.UNKNOWN_SERVICE, name + ": no such unit"));
    }

    private Map<String, Object> status(Object id, List<String> names) throws Failure {
        long now = System.nanoTime();
        List<Object> entries = new ArrayList<>();
        Map<String, String> refused = host.refused();
        if (names.isEmpty()) {
            for (Service s : host.services()) entries.add(withUsage(describe(s, now)));
            for (UnitService u : host.units()) {
                Map<String, Object> entry = UnitStatus.describe(u, now, host.logDirectory(u), host.resourceUsage(u));
                troubles.describe(u.name(), entry, now);
                entries.add(entry);
            }
        } else {
            for (String name : names) {
                Optional<UnitService> unit = host.service(name).isPresent() ? Optional.empty() : host.unit(name);
                Optional<String> refusal = Optional.ofNullable(refused.get(name))
                        .or(() -> Optional.ofNullable(refused.get(name + ".service")));
                if (unit.isEmpty() && host.service(name).isEmpty() && refusal.isPresent()) {
                    entries.add(refusedEntry(refused.containsKey(name) ? name : name + ".service", refusal.get()));
                    continue;
                }
                Map<String, Object> entry = unit.isPresent()
                        ? UnitStatus.describe(unit.get(), now, host.logDirectory(unit.get()),
                                host.resourceUsage(unit.get()))
                        : withUsage(describe(find(name), now));
                if (unit.isPresent()) troubles.describe(unit.get().name(), entry, now);
                // Asked for by name only: reading every process's command line is no job for a listing of all.
                host.cgroupStatus(String.valueOf(entry.get("name"))).ifPresent(c -> entry.put("cgroup", c));
                entries.add(entry);
            }
        }
        Map<String, Object> reply = Protocol.ok(id);
        reply.put("services", entries);
        if (names.isEmpty()) {
            List<Object> refusals = new ArrayList<>();
            refused.forEach((name, why) -> refusals.add(refusedEntry(name, why)));
            reply.put("refused", refusals);
        }
        return reply;
    }

    /** A service directory or unit the daemon would not load, and why: status lists it rather than not know it. */
    private static Map<String, Object> refusedEntry(String name, String why) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("state", "refused");
        m.put("refused", true);
        m.put("reason", why);
        m.put("pid", 0);
        m.put("restarts", 0);
        return m;
    }

    /**
     * The status entries of every service and unit from position {@code from} (directories first), at most
     * {@code count}: the listing of {@code status}, in slices, for a reader off the loop (the HTTP metrics) that
     * must not hold the loop for the whole of a large one.
     */
    public List<Map<String, Object>> statusSlice(int from, int count) {
        long now = System.nanoTime();
        List<Map<String, Object>> entries = new ArrayList<>(Math.min(count, 256));
        int at = 0;
        for (Service s : host.services()) {
            if (entries.size() == count) return entries;
            if (at++ >= from) entries.add(describe(s, now));
        }
        for (UnitService u : host.units()) {
            if (entries.size() == count) return entries;
            if (at++ >= from) {
                entries.add(UnitStatus.describe(u, now, host.logDirectory(u), host.resourceUsage(u)));
            }
        }
        return entries;
    }

    /** A service directory's entry with what its cgroups use, as a unit's has. */
    private Map<String, Object> withUsage(Map<String, Object> entry) {
        host.resourceUsage(String.valueOf(entry.get("name"))).ifPresent(r -> UnitStatus.putUsage(entry, r));
        return entry;
    }

    private void act(ControlServer.Client client, Object id, Request.Act a) throws Failure {
        if (host.service(a.name()).isEmpty() && targetJobs.isTarget(a.name())) {
            targetJobs.act(client, id, a);
            return;
        }
        if (host.service(a.name()).isEmpty() && host.unit(a.name()).isPresent()) {
            actOnUnit(client, id, a, host.unit(a.name()).get());
            return;
        }
        Service s = find(a.name());
        String verb = a.action().name().toLowerCase(Locale.ROOT).replace('_', '-');
        access.checkControl(client.peer(), s, verb);
        // A service being removed, or stopped by the daemon's shutdown, may be stuck in its stop: kill, signal and
        // a forced stop are how an operator ends it.
        boolean ends = a.action() == Action.KILL || a.action() == Action.SIGNAL || a.force();
        if (host.stopping() && !ends) {
            throw new Failure(Error.SHUTTING_DOWN, s.name() + ": the daemon is shutting down");
        }
        if (s.want() == Want.EXIT && !ends) {
            throw new Failure(Error.FAILED, s.name() + ": is being removed");
        }
        int pidBefore = s.pid();
        switch (a.action()) {
            case START -> {
                if (!directoryJob(JobType.START, s)) s.start();
            }
            case STOP -> {
                if (a.force() && s.stopping()) s.forceStop();
                else if (!directoryJob(JobType.STOP, s)) s.stop();
            }
            case RESTART -> {
                if (!directoryJob(JobType.RESTART, s)) s.restart();
            }
            // systemctl's try-restart: a restart of a service that runs; one that is down stays down.
            case TRY_RESTART -> {
                if (pidBefore > 0 && !directoryJob(JobType.RESTART, s)) s.restart();
            }
            case ONCE -> s.once();
            case KILL -> signal(s, Signals.SIGKILL, a.whom());
            case SIGNAL -> signal(s, a.signal(), a.whom());
            case PAUSE -> refused(s.name(), Signals.SIGSTOP, s.signal(Signals.SIGSTOP));
            case CONT -> refused(s.name(), Signals.SIGCONT, s.signal(Signals.SIGCONT));
        }
        if (!a.await()) {
            client.send(okWith(id, s));
            return;
        }
        switch (a.action()) {
            case START -> waits.await(client, id, s, "up", Service::ready, true, a.timeout(), pidBefore);
            case RESTART -> waits.await(client, id, s, "up", svc -> svc.ready() && svc.pid() != pidBefore, true,
                    a.timeout(), pidBefore);
            case TRY_RESTART -> {
                if (pidBefore > 0) {
                    waits.await(client, id, s, "up", svc -> svc.ready() && svc.pid() != pidBefore, true,
                            a.timeout(), pidBefore);
                } else {
                    client.send(okWith(id, s));
                }
            }
            case ONCE -> waits.await(client, id, s, "up", svc -> ServiceWaits.isUp(svc) || svc.pid() != pidBefore,
                    true, a.timeout(), pidBefore);
            case STOP -> waits.await(client, id, s, "down", ControlCommands::isDown, false, a.timeout(), s.pid());
            default -> client.send(okWith(id, s));
        }
    }

    /** Units are the daemon owner's; the reply comes at once, with the unit's state after the command. */
    private void actOnUnit(ControlServer.Client client, Object id, Request.Act a, UnitService u) throws Failure {
        String verb = a.action().name().toLowerCase(Locale.ROOT).replace('_', '-');
        access.checkOwner(client.peer(), verb + " " + u.name());
        if (host.stopping() && a.action() != Action.KILL && a.action() != Action.SIGNAL && !a.force()) {
            throw new Failure(Error.SHUTTING_DOWN, u.name() + ": the daemon is shutting down");
        }
        UnitWaits.Goal goal = null;
        List<Job> jobs = List.of();
        switch (a.action()) {
            case START -> {
                jobs = unitJobs(JobType.START, u);
                goal = UnitWaits.Goal.ACTIVE;
            }
            case STOP -> {
                // Stopping already (its stop job runs, or a removal or the shutdown stops it): kill it whole now.
                if (a.force() && u.stopping()) u.forceStop();
                else jobs = unitJobs(JobType.STOP, u);
                goal = UnitWaits.Goal.INACTIVE;
            }
            case RESTART -> {
                jobs = unitJobs(JobType.RESTART, u);
                goal = UnitWaits.Goal.ACTIVE;
            }
            case TRY_RESTART -> {
                // A unit that is down is left down: the job is done at once, and there is nothing to wait for.
                boolean up = host.engine().activity(u.name()).up();
                jobs = unitJobs(JobType.TRY_RESTART, u);
                if (up) goal = UnitWaits.Goal.ACTIVE;
            }
            case KILL, SIGNAL -> {
                int signal = a.action() == Action.KILL ? Signals.SIGKILL : a.signal();
                switch (a.whom()) {
                    case MAIN -> {
                        if (u.mainPid() == 0) throw new Failure(Error.NOT_RUNNING, u.name() + ": has no main process");
                        refused(u.name(), signal, u.signal(signal));
                    }
                    case CONTROL -> {
                        if (u.controlPid() == 0) {
                            throw new Failure(Error.NOT_RUNNING, u.name() + ": has no control process");
                        }
                        refused(u.name(), signal, u.signalControl(signal));
                    }
                    case ALL -> {
                        if (!u.signalAll(signal)) {
                            throw new Failure(Error.NOT_RUNNING, u.name() + ": has no process to signal");
                        }
                    }
                }
            }
            case ONCE, PAUSE, CONT -> throw new Failure(Error.BAD_REQUEST, verb + " is for service directories, "
                    + "not for units");
        }
        if (a.await() && goal != null) unitWaits.await(client, id, u, goal, jobs, a.timeout());
        else client.send(UnitWaits.withJobs(okWithUnit(id, u), jobs));
    }

    /**
     * A reload job (carried to what it propagates reloads to): false if it was refused (the unit is not active) or
     * failed at once (no ExecReload= nor reload signal).
     */
    private boolean reloaded(UnitService u) {
        return host.unitJob(JobType.RELOAD, u.name()) instanceof JobEngine.Outcome.Queued q
                && q.job().result().filter(r -> r != JobResult.DONE).isEmpty();
    }

    /**
     * A directory's start, stop or restart as a job of the dependency engine, if it is linked to others; false: the
     * plain request applies. Refused, it is a failure.
     */
    private boolean directoryJob(JobType type, Service s) throws Failure {
        Optional<JobEngine.Outcome> outcome = host.directoryJob(type, s.name());
        if (outcome.orElse(null) instanceof JobEngine.Outcome.Refused r) {
            throw new Failure(Error.FAILED, s.name() + ": " + type.word() + " refused: " + r.reason());
        }
        return outcome.isPresent();
    }

    /**
     * The jobs of the request's transaction, the anchor first; refused (a missing requirement, a cycle...) it is a
     * failure.
     */
    private List<Job> unitJobs(JobType type, UnitService u) throws Failure {
        return switch (host.unitJob(type, u.name())) {
            case JobEngine.Outcome.Queued q -> q.jobs();
            case JobEngine.Outcome.Refused r -> throw new Failure(Error.FAILED, u.name() + ": " + type.word()
                    + " refused: " + r.reason());
        };
    }

    // ---- what units do: from the daemon's unit listener ----

    public void unitChanged(UnitService unit) {
        unitWaits.changed(unit);
    }

    public void unitRemoved(UnitService unit) {
        unitWaits.removed(unit);
        troubles.forget(unit.name());
    }

    /** One line of what a unit did, with its state after it, for subscribers; its errors are kept for status. */
    public void unitEvent(UnitService unit, UnitEvent what) {
        troubles.event(unit.name(), what, System.nanoTime());
        if (subscribers.isEmpty()) return;
        String message = what.describe();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("v", Protocol.VERSION);
        event.put("event", "unit");
        event.put("service", unit.name());
        event.put("time", System.currentTimeMillis());
        event.put("state", unit.state().activeState());
        event.put("sub_state", unit.state().subState());
        event.put("message", message);
        publishUnit(unit.name(), event);
    }

    /** A job was queued, started or finished ({@code result} only then), for subscribers. */
    public void jobEvent(Job job, JobEvents.Phase phase, JobResult result) {
        if (phase == JobEvents.Phase.FINISHED) targetJobs.finished(job);
        if (!subscribers.isEmpty()) publishUnit(job.unit(), JobEvents.event(job, phase, result));
    }

    private void publishUnit(String name, Map<String, Object> event) {
        publish(name, event);
        // Subscribing to "web" follows web.service as status and start do.
        String shortName = name.substring(0, name.lastIndexOf('.'));
        for (Map.Entry<ControlServer.Client, Set<String>> e : List.copyOf(subscribers.entrySet())) {
            if (e.getValue().contains(shortName) && !e.getValue().contains(name)) e.getKey().send(event);
        }
    }

    private static Map<String, Object> okWithUnit(Object id, UnitService u) {
        Map<String, Object> reply = Protocol.ok(id);
        reply.put("service", UnitStatus.describe(u, System.nanoTime()));
        return reply;
    }

    private static void signal(Service s, int signal, Request.Whom whom) throws Failure {
        if (whom == Request.Whom.CONTROL) {
            throw new Failure(Error.BAD_REQUEST, s.name() + ": a service directory has no control process");
        }
        // All: the rest of the cgroup too, even once run is gone (a setsid()'d daemon it left).
        int others = whom == Request.Whom.ALL ? s.signalOthers(signal) : 0;
        boolean running = s.state() instanceof ServiceState.Up || s.state() instanceof ServiceState.Stopping;
        if (!running && others > 0) return;
        if (!running) {
            throw new Failure(Error.NOT_RUNNING, s.name() + ": not running, so not sent " + Signals.name(signal));
        }
        refused(s.name(), signal, s.signal(signal));
    }

    /** Fails the request if the kernel refused the signal (the daemon has logged it too). */
    private static void refused(String name, int signal, Optional<String> why) throws Failure {
        if (why.isPresent()) throw new Failure(Error.FAILED, name + ": cannot send " + Signals.name(signal) + ": "
                + why.get());
    }

    private static boolean isDown(Service s) {
        return s.state().runitState() == ServiceState.Runit.DOWN;
    }

    private Map<String, Object> okWith(Object id, Service s) {
        Map<String, Object> reply = Protocol.ok(id);
        reply.put("service", describe(s, System.nanoTime()));
        return reply;
    }

    // ---- what services do: from the daemon's listener ----

    public void stateChanged(Service service) {
        ServiceState now = service.state();
        ServiceState before = lastState.put(service, now);
        if (now instanceof ServiceState.Down && before != null && !(before instanceof ServiceState.Down)) {
            publish(service, event(service, "stopped"));
        }
        waits.changed(service);
    }

    public void event(Service service, ServiceEvent e) {
        troubles.event(service.name(), e, System.nanoTime());
        List<Map<String, Object>> events = describe(service, e);
        for (Map<String, Object> ev : events) publish(service, ev);
        waits.event(service, e);
    }

    public void removed(Service service) {
        lastState.remove(service);
        troubles.forget(service.name());
        publish(service, event(service, "removed"));
        waits.removed(service, transients.removed(service));
    }

    /** Every transient service's name, with the uid that added it. */
    public Map<String, Integer> transientOwners() {
        return transients.owners();
    }

    /**
     * After a re-exec: takes up a transient service the old daemon handed over (see
     * {@link TransientServices#resume}).
     */
    public void resumeTransient(String name, int owner, Command run, RestartPolicy.When restart)
            throws Protocol.Failure {
        transients.resume(name, owner, run, restart);
    }

    /**
     * Root's configuration ({@code where}) claims {@code name}: true if another user's transient service held it
     * and is now being removed, so the claim must wait for the name to be free.
     */
    public boolean giveWay(String name, String where) {
        return transients.giveWay(name, where);
    }

    /** The daemon has written a removed service's last state and closed its files. */
    public void filesClosed(Service service) {
        transients.filesClosed(service, () -> waits.gone(service));
    }

    private void publish(Service service, Map<String, Object> event) {
        publish(service.name(), event);
    }

    private void publish(String name, Map<String, Object> event) {
        if (subscribers.isEmpty()) return;
        for (Map.Entry<ControlServer.Client, Set<String>> e : List.copyOf(subscribers.entrySet())) {
            Set<String> names = e.getValue();
            if (names.isEmpty() || names.contains(name)
                    || (name.endsWith("/log") && names.contains(name.substring(0, name.length() - 4)))) {
                e.getKey().send(event);
            }
        }
    }

    private static Map<String, Object> event(Service service, String kind) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("v", Protocol.VERSION);
        event.put("event", kind);
        event.put("service", service.name());
        event.put("time", System.currentTimeMillis());
        return event;
    }

    private static List<Map<String, Object>> describe(Service service, ServiceEvent e) {
        List<Map<String, Object>> out = new ArrayList<>(2);
        switch (e) {
            case ServiceEvent.Started s -> {
                Map<String, Object> ev = event(service, "started");
                ev.put("pid", s.pid());
                out.add(ev);
            }
            case ServiceEvent.Ready r -> out.add(event(service, "ready"));
            case ServiceEvent.Exited x -> {
                Map<String, Object> ev = event(service, "exited");
                exit(ev, x.status());
                ev.put("ran_ms", x.ran().toMillis());
                ev.put("then", next(x.then()));
                out.add(ev);
                restarting(service, x.then(), out);
                if (x.then() instanceof ServiceEvent.Next.StayDown && x.status().exited() && x.status().code() != 0) {
                    Map<String, Object> failed = event(service, "failed");
                    failed.put("reason", x.status().describe());
                    out.add(failed);
                }
            }
            case ServiceEvent.Finished f -> {
                Map<String, Object> ev = event(service, "finished");
                exit(ev, f.status());
                ev.put("then", next(f.then()));
                out.add(ev);
                restarting(service, f.then(), out);
            }
            case ServiceEvent.Signalled s -> {
                Map<String, Object> ev = event(service, "signalled");
                ev.put("signal", Signals.name(s.signal()));
                if (!s.why().isEmpty()) ev.put("reason", s.why());
                out.add(ev);
            }
            case ServiceEvent.SignalRefused r -> {
                Map<String, Object> ev = event(service, "signal-refused");
                ev.put("signal", Signals.name(r.signal()));
                ev.put("pid", r.pid());
                ev.put("reason", r.reason());
                out.add(ev);
            }
            case ServiceEvent.ExecFailed f -> {
                Map<String, Object> ev = event(service, "failed");
                ev.put("reason", f.describe());
                out.add(ev);
            }
            case ServiceEvent.SpawnFailed f -> {
                Map<String, Object> ev = event(service, "failed");
                ev.put("reason", f.describe());
                out.add(ev);
                Map<String, Object> again = event(service, "restarting");
                again.put("in_ms", f.retryIn().toMillis());
                out.add(again);
            }
        }
        return out;
    }

    private static void restarting(Service service, ServiceEvent.Next next, List<Map<String, Object>> out) {
        if (next instanceof ServiceEvent.Next.Restart r && !r.delay().isZero()) {
            Map<String, Object> ev = event(service, "restarting");
            ev.put("in_ms", r.delay().toMillis());
            out.add(ev);
        }
    }

    private static void exit(Map<String, Object> ev, ExitStatus status) {
        if (status.exited()) ev.put("code", status.code());
        else ev.put("signal", Signals.name(status.signal()));
    }

    private static String next(ServiceEvent.Next next) {
        return switch (next) {
            case ServiceEvent.Next.Restart r -> "restart";
            case ServiceEvent.Next.RunFinish f -> "finish";
            case ServiceEvent.Next.StayDown d -> "down";
            case ServiceEvent.Next.Exit x -> "exit";
        };
    }

    // ---- status ----

    /** One service's status entry; see docs/control-protocol.md. */
    private Map<String, Object> describe(Service s, long nowNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("state", stateWord(s));
        m.put("pid", s.pid());
        m.put("want", s.want().name().toLowerCase(Locale.ROOT));
        m.put("ready", s.ready());
        m.put("paused", s.paused());
        m.put("got_term", s.gotTerm());
        long since = switch (s.state()) {
            case ServiceState.Up u -> u.sinceNanos();
            case ServiceState.Stopping st -> st.sinceNanos();
            case ServiceState.Finishing f -> f.runSinceNanos();
            case ServiceState.Down d -> d.sinceNanos();
            case ServiceState.BackingOff b -> Long.MIN_VALUE;
        };
        if (since != Long.MIN_VALUE) m.put("elapsed_ms", Math.max(0, (nowNanos - since) / 1_000_000));
        if (s.state() instanceof ServiceState.BackingOff b) {
            m.put("restart_in_ms", Math.max(0, (b.untilNanos() - nowNanos) / 1_000_000));
        }
        m.put("restarts", s.restarts());
        Map<String, Object> last = null;
        if (s.lastExit().isPresent()) {
            last = new LinkedHashMap<>();
            exit(last, s.lastExit().get());
        }
        m.put("last_exit", last);
        m.put("uid", access.uidOf(s));
        boolean isTransient = transients.contains(s.name());
        m.put("transient", isTransient);
        if (!isTransient) m.put("directory", s.spec().directory().toString());
        if (s.spec().critical()) m.put("critical", true);
        host.logDirectory(s).ifPresent(dir -> m.put("log", dir.toString()));
        m.put("command", s.spec().run().argv());
        troubles.describe(s.name(), m, nowNanos);
        return m;
    }

    static String stateWord(Service s) {
        return switch (s.state()) {
            case ServiceState.Up u -> s.ready() ? "up" : "starting";
            case ServiceState.Stopping st -> "stopping";
            case ServiceState.Finishing f -> "finishing";
            case ServiceState.Down d -> "down";
            case ServiceState.BackingOff b -> "backoff";
        };
    }

    private static String version() {
        String v = ControlCommands.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }
}
