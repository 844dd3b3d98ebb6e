package vigil.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.DirectorySpec;
import vigil.model.ServiceSpec;
import vigil.model.UnitSpec;
import vigil.service.ProcessRequest.Stdio;

/**
 * Everything supervised, by name: services from service directories (with their loggers) and systemd units, each
 * run by its format's state machine ({@link Service}, {@link UnitService}) under one name table and one shutdown.
 *
 * <p>It pairs each service that has a logger with that logger through one pipe made when the pair is added and kept
 * until both are gone, so either side may restart without losing a byte. When a service is removed (or Vigil
 * exits), its logger is stopped only after it: the pipe's write end is closed and the logger drains it to EOF, so
 * the last lines are written.
 *
 * <p>The output no logger of the pair reads goes to the pair's {@link OutputLog}, Vigil's built-in log, also made
 * at add and closed only once the whole pair is gone: a lone service's stdout and stderr; for a service with a
 * logger, the logger's own stdout and stderr and the producer's stderr (what runit leaves to runsvdir's stderr).
 * The producer's stdout goes to its logger, as with runit. A unit's built-in log is what {@code journal},
 * {@code syslog} and {@code kmsg} mean; its notify socket is made with it and, like it, outlives its processes.
 */
public final class Supervisor {
    private final Processes processes;
    private final UnitOs unitOs;
    private final Clock clock;
    private final ServiceListener listener;
    private final UnitListener unitListener;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private Runnable whenAllRemoved;

    /** What one name holds. */
    private sealed interface Entry permits Pair, Unit {}

    /** A service, and its logger with the pipe between them if it has one; {@code log} takes the rest. */
    private record Pair(Service main, Service logger, Pipe pipe, OutputLog log) implements Entry {
        List<Service> both() {
            return logger == null ? List.of(main) : List.of(main, logger);
        }
    }

    /** A unit, with its built-in log; {@code service} is set once made (its notify socket is opened before it). */
    private static final class Unit implements Entry {
        final OutputLog log;
        UnitService service;

        Unit(OutputLog log) {
            this.log = log;
        }
    }

    public Supervisor(Processes processes, UnitOs unitOs, Clock clock, ServiceListener listener,
                      UnitListener unitListener) {
        this.processes = processes;
        this.unitOs = unitOs;
        this.clock = clock;
        this.listener = listener;
        this.unitListener = unitListener;
    }

    /**
     * Starts supervising the service: a service directory's with its logger, started at once, or a unit, which
     * stays inactive until its job starts it (the job engine decides when). Nothing is added if the pipe of a pair
     * or the built-in log cannot be made.
     *
     * @throws IllegalArgumentException if something of that name is already supervised
     */
    public void add(ServiceSpec spec) throws SpawnException {
        if (entries.containsKey(spec.name())) {
            throw new IllegalArgumentException(spec.name() + ": a service of that name is already supervised");
        }
        if (entries.isEmpty()) whenAllRemoved = null;
        switch (spec) {
            case DirectorySpec d -> addPair(d, false);
            case UnitSpec u -> addUnit(u);
        }
    }

    /**
     * As {@link #add} for a service directory that requires other services: its logger starts at once, the service
     * itself only when its start job starts it, once what it requires is up.
     *
     * @throws IllegalArgumentException if something of that name is already supervised
     */
    public void addAwaitingStart(DirectorySpec spec) throws SpawnException {
        if (entries.containsKey(spec.name())) {
            throw new IllegalArgumentException(spec.name() + ": a service of that name is already supervised");
        }
        if (entries.isEmpty()) whenAllRemoved = null;
        addPair(spec, true);
    }

    private void addPair(DirectorySpec spec, boolean awaitStart) throws SpawnException {
        PairListener pairListener = new PairListener();
        Pair pair;
        if (spec.logger().isPresent()) {
            DirectorySpec loggerSpec = spec.logger().get();
            Pipe pipe = processes.openPipe();
            OutputLog log;
            try {
                log = processes.openLog(loggerSpec.name(), loggerSpec.logDirectory());
            } catch (SpawnException e) {
                pipe.close();
                throw e;
            }
            Service main = new Service(spec, processes, clock, pairListener, new Stdio.Inherit(),
                    new Stdio.PipeWriteEnd(pipe), new Stdio.Log(log), true);
            Service logger = new Service(loggerSpec, processes, clock, pairListener, new Stdio.PipeReadEnd(pipe),
                    new Stdio.Log(log), new Stdio.Log(log), false);
            pair = new Pair(main, logger, pipe, log);
        } else {
            OutputLog log = processes.openLog(spec.name(), spec.logDirectory());
            Service main = new Service(spec, processes, clock, pairListener, new Stdio.Inherit(), new Stdio.Log(log),
                    new Stdio.Log(log), true);
            pair = new Pair(main, null, null, log);
        }
        pairListener.pair = pair;
        entries.put(spec.name(), pair);
        if (pair.logger != null) pair.logger.begin();
        if (awaitStart) pair.main.awaitStart();
        else pair.main.begin();
    }

    /**
     * What a service directory's pair holds, for {@code daemon-reexec}: the services, the pipe between them (null
     * without a logger) and the built-in log.
     */
    public record PairView(Service main, Service logger, Pipe pipe, OutputLog log) {}

    /** Every service directory's pair (transient services included), in the order they were added. */
    public List<PairView> pairs() {
        List<PairView> all = new ArrayList<>();
        for (Entry entry : entries.values()) {
            if (entry instanceof Pair p) all.add(new PairView(p.main, p.logger, p.pipe, p.log));
        }
        return all;
    }

    /**
     * Supervises a pair an old daemon handed over ({@code daemon-reexec}): its pipe and log as they were, each
     * service in the state it was in, its processes watched again, nothing started anew.
     *
     * @param pipe   the pipe between the service and its logger; null if {@code spec} has none
     * @param logger the logger's state; empty if {@code spec} has none
     * @throws SpawnException if a process is no longer this daemon's child; nothing is supervised then
     */
    public void resume(DirectorySpec spec, Pipe pipe, OutputLog log, ServiceSnapshot main,
                       Optional<ServiceSnapshot> logger) throws SpawnException {
        if (entries.containsKey(spec.name())) {
            throw new IllegalArgumentException(spec.name() + ": a service of that name is already supervised");
        }
        if (spec.logger().isPresent() != (pipe != null) || (pipe != null) != logger.isPresent()) {
            throw new IllegalArgumentException(spec.name() + ": its log/ came or went during the re-exec");
        }
        if (entries.isEmpty()) whenAllRemoved = null;
        PairListener pairListener = new PairListener();
        Pair pair;
        if (pipe != null) {
            Service mainService = new Service(spec, processes, clock, pairListener, new Stdio.Inherit(),
                    new Stdio.PipeWriteEnd(pipe), new Stdio.Log(log), true);
            Service loggerService = new Service(spec.logger().get(), processes, clock, pairListener,
                    new Stdio.PipeReadEnd(pipe), new Stdio.Log(log), new Stdio.Log(log), false);
            pair = new Pair(mainService, loggerService, pipe, log);
        } else {
            pair = new Pair(new Service(spec, processes, clock, pairListener, new Stdio.Inherit(), new Stdio.Log(log),
                    new Stdio.Log(log), true), null, null, log);
        }
        pairListener.pair = pair;
        entries.put(spec.name(), pair);
        try {
            if (pair.logger != null) pair.logger.resume(logger.get());
            pair.main.resume(main);
        } catch (SpawnException e) {
            entries.remove(spec.name());
            throw e;
        }
    }

    private void addUnit(UnitSpec spec) throws SpawnException {
        Unit unit = new Unit(processes.openLog(spec.name(), Optional.empty()));
        // Every unit gets its socket, even with NotifyAccess=none (whose processes are not told of it): a
        // daemon-reload may change that setting without the unit being made anew.
        Optional<Path> socket = unitOs.openNotifySocket(spec.name(),
                (pid, uid, fields) -> unit.service.notify(pid, uid, fields));
        unit.service = UnitService.create(spec, processes, unitOs, clock, new UnitEntryListener(unit), socket,
                new Stdio.Log(unit.log));
        entries.put(spec.name(), unit);
    }

    /** What a unit's entry holds, for {@code daemon-reexec}: the unit and its built-in log. */
    public record UnitView(UnitService unit, OutputLog log) {}

    /** Every unit with its built-in log, in the order they were added. */
    public List<UnitView> unitViews() {
        List<UnitView> all = new ArrayList<>();
        for (Entry entry : entries.values()) {
            if (entry instanceof Unit unit) all.add(new UnitView(unit.service, unit.log));
        }
        return all;
    }

    /**
     * Supervises a unit an old daemon handed over ({@code daemon-reexec}) with {@code spec} as the unit files say
     * now: its log as it was, its notify socket taken up by {@link UnitOs#openNotifySocket}, its state as
     * {@code state} says, nothing started anew.
     *
     * @throws IllegalArgumentException if something of that name is already supervised
     */
    public void resumeUnit(UnitSpec spec, OutputLog log, UnitSnapshot state) {
        if (entries.containsKey(spec.name())) {
            throw new IllegalArgumentException(spec.name() + ": a service of that name is already supervised");
        }
        if (entries.isEmpty()) whenAllRemoved = null;
        Unit unit = new Unit(log);
        Optional<Path> socket = unitOs.openNotifySocket(spec.name(),
                (pid, uid, fields) -> unit.service.notify(pid, uid, fields));
        unit.service = UnitService.create(spec, processes, unitOs, clock, new UnitEntryListener(unit), socket,
                new Stdio.Log(unit.log));
        entries.put(spec.name(), unit);
        unit.service.resume(state);
    }

    /** The service of that name; a logger is named {@code NAME/log}. Units are not services: see {@link #unit}. */
    public Optional<Service> get(String name) {
        if (name.endsWith("/log")) {
            return entries.get(name.substring(0, name.length() - 4)) instanceof Pair pair
                    ? Optional.ofNullable(pair.logger) : Optional.empty();
        }
        return entries.get(name) instanceof Pair pair ? Optional.of(pair.main) : Optional.empty();
    }

    /** The unit of that full name ({@code foo.service}). */
    public Optional<UnitService> unit(String name) {
        return entries.get(name) instanceof Unit unit ? Optional.of(unit.service) : Optional.empty();
    }

    /** Every service from a service directory or made transient, loggers included, in the order they were added. */
    public Collection<Service> services() {
        List<Service> all = new ArrayList<>();
        for (Entry entry : entries.values()) {
            if (entry instanceof Pair pair) all.addAll(pair.both());
        }
        return all;
    }

    /** Every unit, in the order they were added. */
    public Collection<UnitService> units() {
        List<UnitService> all = new ArrayList<>();
        for (Entry entry : entries.values()) {
            if (entry instanceof Unit unit) all.add(unit.service);
        }
        return all;
    }

    /** Stops the service (then its logger) or the unit, then forgets it. Unknown names are ignored. */
    public void remove(String name) {
        Entry entry = entries.get(name);
        if (entry != null) exit(entry);
    }

    private static void exit(Entry entry) {
        switch (entry) {
            case Pair pair -> pair.main.exit();
            case Unit unit -> unit.service.exit();
        }
    }

    /**
     * The service directory was renamed: the same service, with a new name and paths. Nothing is restarted; the
     * new spec applies from the next start. A logger follows its service if both specs have one.
     */
    public void rename(String from, DirectorySpec renamed) {
        String to = renamed.name();
        if (!from.equals(to) && entries.containsKey(to)) {
            throw new IllegalArgumentException(to + ": a service of that name is already supervised");
        }
        if (!(entries.get(from) instanceof Pair pair)) return;
        entries.remove(from);
        pair.main.respec(renamed);
        if (pair.logger != null && renamed.logger().isPresent()) pair.logger.respec(renamed.logger().get());
        entries.put(to, pair);
    }

    /**
     * Removes everything: every unit and every service, each logger after its producer; runs {@code done} once
     * all are gone. One that cannot be stopped (its process refuses the signal, or a bug) does not keep the others
     * running: each is told, and the first failure is thrown once all were.
     */
    public void shutdown(Runnable done) {
        whenAllRemoved = done;
        if (entries.isEmpty()) {
            runWhenAllRemoved();
            return;
        }
        RuntimeException failure = null;
        for (Entry entry : List.copyOf(entries.values())) {
            try {
                exit(entry);
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    private void runWhenAllRemoved() {
        Runnable done = whenAllRemoved;
        whenAllRemoved = null;
        if (done != null) done.run();
    }

    /** Forwards to the daemon's listener, and sequences a pair's removal: producer, pipe, logger, then log. */
    private final class PairListener implements ServiceListener {
        Pair pair;

        @Override
        public void stateChanged(Service service) {
            listener.stateChanged(service);
        }

        @Override
        public void event(Service service, ServiceEvent event) {
            listener.event(service, event);
        }

        @Override
        public void removed(Service service) {
            if (service == pair.main && pair.logger != null) {
                listener.removed(service);
                pair.pipe.closeWriteEnd();
                pair.logger.drainAndExit();
                return;
            }
            if (pair.pipe != null) pair.pipe.close();
            // Before the name is free again: a service of the same name waiting for it opens the same directory.
            pair.log.close();
            entries.values().remove(pair);
            listener.removed(service);
            if (entries.isEmpty()) runWhenAllRemoved();
        }
    }

    /** Forwards to the daemon's unit listener; once the unit is gone, closes its socket and log and frees its name. */
    private final class UnitEntryListener implements UnitListener {
        private final Unit unit;

        UnitEntryListener(Unit unit) {
            this.unit = unit;
        }

        @Override
        public void stateChanged(UnitService service) {
            unitListener.stateChanged(service);
        }

        @Override
        public void event(UnitService service, UnitEvent event) {
            unitListener.event(service, event);
        }

        @Override
        public void removed(UnitService service) {
            unitOs.closeNotifySocket(service.name());
            unit.log.close();
            entries.values().remove(unit);
            unitListener.removed(service);
            if (entries.isEmpty()) runWhenAllRemoved();
        }
    }
}
