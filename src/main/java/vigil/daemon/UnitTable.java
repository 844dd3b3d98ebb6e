package vigil.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import vigil.deps.DefaultDependencies;
import vigil.deps.DirectoryNodes;
import vigil.deps.Graph;
import vigil.deps.JobEngine;
import vigil.deps.JobListener;
import vigil.deps.JobType;
import vigil.deps.Node;
import vigil.deps.SupervisedUnits;
import vigil.loop.EventLoop;
import vigil.model.ResourceLimits;
import vigil.model.UnitSpec;
import vigil.service.Service;
import vigil.service.ServiceState;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.service.Want;
import vigil.socket.SocketUnits;
import vigil.socket.UnitsAndSockets;
import vigil.unit.Accounts;
import vigil.unit.Dependency;
import vigil.unit.Diagnostic;
import vigil.unit.LoadWarnings;
import vigil.unit.Host;
import vigil.unit.SocketSection;
import vigil.unit.UnitLoader;
import vigil.unit.UnitMapper;
import vigil.unit.UnitName;
import vigil.unit.UnitResult;
import vigil.unit.UnitType;

/**
 * The systemd units found in the unit directories: every {@code .service} file, and every instance linked to its
 * template, loaded and mapped to a {@link UnitSpec} that the daemon's one {@link Supervisor} runs beside the service
 * directories. {@link #reload} is {@code daemon-reload}: units whose files changed take their new spec for their
 * next start, new units start, vanished ones stop; unchanged ones are not touched.
 *
 * <p>The files are read, parsed and mapped on a thread of their own, and only the result is applied on the loop:
 * a reload of big or many unit files (or a slow disk) must not hold up a restart or a status request. The loop
 * never waits for that thread; the result comes back through {@link EventLoop#execute}. One read runs at a time:
 * reloads asked for while one runs are served together by one more read once it ends, so each sees the files as
 * they were after it was asked for.
 *
 * <p>The units and the {@code .target} files form one dependency graph, which a {@link JobEngine} runs: units are
 * started and stopped by its jobs, in dependency order. Once the units are first read, the engine starts the target
 * named by {@code --target}, else {@code default.target}; without a {@code default.target} file, one that wants
 * every unit stands in, so every unit starts as it did before there was a graph. Units added by a later reload
 * start on their own.
 *
 * <p>Service directories and transient services are nodes of the same graph ({@link DirectoryNodes}); the daemon
 * tells this table when they come and go, and the graph is built anew once per turn of the loop. The target starts
 * once the units are first read and the trees first scanned, so that each side finds what it names on the other;
 * it wants every scanned directory without a {@code down} file. A directory that requires something waits for its
 * start job (the target's, or its own if it comes later); the others start at once, as they always have.
 */
public final class UnitTable {
    private final Supervisor supervisor;
    private final Reporter reporter;
    private final List<Path> directories;
    private final BiPredicate<String, Path> giveWay;
    private final HandedOver handedOver;
    private final Optional<String> target;
    private final JobEngine engine;
    /** The graph's nodes: the units this table holds (or waits to add), and the targets of the unit directories. */
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    /** The socket units read. */
    private final Set<String> socketUnits = new LinkedHashSet<>();
    /** What show and list-units say of each node besides its state: its description and file. */
    private final Map<String, About> about = new LinkedHashMap<>();
    /** The target has been started: later reads start only the units they add. */
    private boolean started;
    /** The service directories and transient services, as nodes beside the units. */
    private final DirectoryNodes dirNodes;
    /**
     * Once the units were first read, the units it added, which start on their own after a re-exec; null before.
     */
    private List<String> firstRead;
    /** The trees' first scan is done. */
    private boolean scanned;
    /** This daemon took over from an old one: no target is started, whatever the units' first read took up. */
    private boolean afterReexec;
    /** A new graph is due, for directories that came or went; built once on the loop for all of them. */
    private boolean rebuildDue;
    /** Directories that require something and were given their start job: none is given two. */
    private final Set<String> startGiven = new HashSet<>();
    /** Units the last read took up from a re-exec's old daemon: they go on as they were, not started anew. */
    private final Set<String> resumed = new HashSet<>();
    private final EventLoop loop;
    private final BooleanSupplier stopping;
    private final Host host = Host.current();
    /** Where a unit's Limit*= must be lowered to start at all. */
    private final HostHardLimits hardLimits = new HostHardLimits();
    private final Accounts accounts;
    private final Map<String, String> environment = Map.copyOf(System.getenv());
    /** What each unit this table started was made from: what decides whether a daemon-reload changes it. */
    private final Map<String, String> fingerprints = new LinkedHashMap<>();
    /** The units refused for what is in their files, with why: status lists them. */
    private final Map<String, String> refused = new TreeMap<>();
    /** Units whose file came back while the instance removed with the old file was still stopping. */
    private final Map<String, Waiting> waitingForName = new LinkedHashMap<>();
    /** True while a read of the unit files is under way. */
    private boolean reading;
    /** Who asked for a reload while a read was under way: the next read is theirs. */
    private List<Consumer<String>> nextRead = new ArrayList<>();
    private final SocketUnits sockets;
    /** The loader of the last read: Accept=yes instances are loaded through it from their template. */
    private UnitLoader loader;
    /** The {@code .slice} files loaded: each one's limits. A slice named by {@code Slice=} alone has none. */
    private final Map<String, ResourceLimits> slices = new HashMap<>();

    /** A unit's {@code Description=} and the file it was loaded from. */
    public record About(String description, Path file) {
        static About of(vigil.unit.Unit unit) {
            return new About(unit.unit().description(), unit.file().fragment());
        }
    }

    /** A loaded unit that starts once its name is free. */
    private record Waiting(UnitSpec spec, String fingerprint) {}

    /** After a re-exec: takes up the unit the old daemon handed over under the spec's name, if it did. */
    @FunctionalInterface
    interface HandedOver {
        /**
         * @return false if no unit of that name was handed over: then it starts anew
         * @throws SpawnException if it was, and cannot be taken up
         */
        boolean resume(UnitSpec spec) throws SpawnException;
    }

    /** What the reading thread made of the unit directories: every unit, or why they could not be read. */
    private sealed interface Reading {}

    private record Units(List<ReadUnit> units, UnitLoader loader, Map<String, List<String>> namedSockets)
            implements Reading {}

    private record Unreadable(String why) implements Reading {}

    /** One unit as read. */
    private sealed interface ReadUnit {
        String name();
    }

    /** Failed, masked or not found: nothing to map. */
    private record NotLoaded(String name, UnitResult result) implements ReadUnit {}

    /**
     * Loaded; {@code fingerprint} tells whether its files changed since it was last applied; {@code node} is its
     * place in the graph, its dependencies named as the loader resolves them (an alias names its unit).
     */
    private record Loaded(String name, UnitResult.Loaded loaded, String fingerprint, Mapping mapping, Node node)
            implements ReadUnit {}

    /** A {@code .target} file: only a node of the graph; what its loading found to say. */
    private record Target(String name, Node node, About about, List<Diagnostic> diagnostics) implements ReadUnit {}

    /** A {@code .socket} file: a node of the graph, and the sockets it binds. */
    private record Socket(String name, Node node, SocketSection section, About about) implements ReadUnit {}

    /** A {@code .slice} file: the limits of its cgroup, applied when a service in the slice starts. */
    private record SliceFile(String name, ResourceLimits limits, About about) implements ReadUnit {}

    /** What a loaded unit maps to. */
    private sealed interface Mapping {}

    private record Runs(UnitMapper.Mapped mapped) implements Mapping {}

    private record CannotRun(String why) implements Mapping {}

    /**
     * @param stopping whether the daemon is shutting down: a read that ends then adds nothing
     * @param giveWay  asked with a unit's name and file when a service directory or transient service holds the
     *                 name: true if it is another user's transient service, which gives the name up, so the unit
     *                 waits for it
     * @param handedOver takes up what a re-exec's old daemon ran of a unit, instead of starting it
     * @param target   the target to start instead of {@code default.target} ({@code --target})
     * @param jobs     hears of the jobs' ends and of what a transaction left out
     * @param serviceDirectories the service directories and transient services as nodes, kept up to date by the
     *                 daemon, which calls {@link #directoriesChanged} after each change
     * @param stopDirectory stops a directory's service as {@code sv down} does
     */
    UnitTable(Supervisor supervisor, Reporter reporter, List<Path> directories, EventLoop loop, Accounts accounts,
              BooleanSupplier stopping, BiPredicate<String, Path> giveWay, HandedOver handedOver,
              Optional<String> target, JobListener jobs, SocketUnits sockets, DirectoryNodes serviceDirectories,
              Consumer<Service> stopDirectory) {
        this.supervisor = supervisor;
        this.target = target;
        this.sockets = sockets;
        this.dirNodes = serviceDirectories;
        this.engine = new JobEngine(new Graph(List.of()),
                new UnitsAndSockets(new SupervisedUnits(supervisor, serviceDirectories, stopDirectory), sockets),
                jobs);
        this.giveWay = giveWay;
        this.handedOver = handedOver;
        this.reporter = reporter;
        this.directories = List.copyOf(directories);
        this.loop = loop;
        this.accounts = accounts;
        this.stopping = stopping;
    }

    /** The unit directories' {@code .service} files, or none if there are no unit directories. */
    public boolean isEmpty() {
        return directories.isEmpty();
    }

    /** Whether a read of the unit files is under way, whose result is not applied yet. */
    public boolean reading() {
        return reading;
    }

    /** A unit's state changed: its job may be done, or what waits for it may run. */
    public void unitChanged(String name) {
        engine.unitChanged(name);
    }

    /**
     * {@code start}, {@code stop}, {@code restart} or {@code reload} of a unit or target, as a transaction; asked
     * for by hand, so {@code RefuseManualStart=}/{@code RefuseManualStop=} apply.
     */
    public JobEngine.Outcome job(JobType type, String name) {
        return engine.request(type, name);
    }

    /** {@code vigil isolate TARGET}. */
    public JobEngine.Outcome isolate(String target) {
        return engine.isolate(target);
    }

    /** The unit directories, where enable makes its links. */
    public List<Path> directories() {
        return directories;
    }

    /** The engine, for what the control socket shows of the graph and the jobs. */
    public JobEngine engine() {
        return engine;
    }

    /** The node's description and file, if it was loaded from one. */
    public Optional<About> about(String name) {
        return Optional.ofNullable(about.get(name));
    }

    /**
     * Stops every unit, and every service directory linked to something, in reverse dependency order; {@code done}
     * runs once all are down. Directories that nothing names are left to the supervisor's shutdown, which stops
     * them all at once, as ever.
     */
    public void stopAll(Runnable done) {
        engine.stopAll(name -> dirNodes.directoryOf(name).map(dirNodes::linked).orElse(true), done);
    }

    /** A directory's service changed state: its job may be done, or what is bound to it may stop. */
    public void directoryChanged(String directory) {
        // The cheap test first: a plain directory's restart must cost no more than it did before the graph.
        if (engine.idle() && !dirNodes.linked(directory)) return;
        engine.unitChanged(DirectoryNodes.nodeName(directory));
    }

    /**
     * {@code start}, {@code stop} or {@code restart} of a service directory through the job engine, if its place in
     * the graph calls for it: a start of one that requires something (which starts that first), a stop of one that
     * others require (which stops them first). Empty if the request is the plain runit one; also before the target
     * has started, when the graph is not complete yet.
     */
    public Optional<JobEngine.Outcome> directoryJob(JobType type, String directory) {
        if (!started || !dirNodes.linked(directory)) return Optional.empty();
        String node = DirectoryNodes.nodeName(directory);
        Graph graph = engine.graph();
        boolean requires = !graph.forward(node, Dependency.REQUIRES).isEmpty();
        boolean required = DirectoryNodes.hasDependents(graph, node);
        boolean viaEngine = switch (type) {
            case START -> requires;
            case STOP -> required;
            case RESTART -> requires || required;
            // Not asked of a directory through here: runit's reload is a signal, and try-restart a restart.
            case RELOAD, TRY_RESTART -> false;
        };
        return viaEngine ? Optional.of(engine.enqueue(type, node)) : Optional.empty();
    }

    /**
     * Directories came or went (added, removed, renamed): the graph is built anew once on the loop, for all the
     * changes of this turn; a directory that waits for its start job gets it then.
     */
    public void directoriesChanged() {
        if (rebuildDue) return;
        rebuildDue = true;
        loop.execute(() -> {
            rebuildDue = false;
            if (stopping.getAsBoolean()) return;
            Graph graph = setGraph();
            if (started) startAwaiting(graph);
        });
    }

    /**
     * The trees' first scan is done: the target starts once the units are read too.
     *
     * @param afterReexec this daemon took over from an old one, whose directories go on as they were
     */
    public void directoriesScanned(boolean afterReexec) {
        scanned = true;
        this.afterReexec = afterReexec;
        if (directories.isEmpty() && firstRead == null) firstRead = List.of();
        boot();
    }

    /**
     * Reads the unit directories again, off the loop: new units start, units whose files vanished stop and are
     * forgotten, and a changed unit takes its new spec, used from its next start on. {@code done} gets a one-line
     * summary on the loop thread once that is done. Loop thread only.
     */
    public void reload(Consumer<String> done) {
        if (directories.isEmpty()) {
            done.accept("no unit directories");
            return;
        }
        nextRead.add(done);
        if (!reading) startRead();
    }

    private void startRead() {
        List<Consumer<String>> waiting = nextRead;
        nextRead = new ArrayList<>();
        reading = true;
        try {
            Thread.ofPlatform().daemon().name("vigil-unit-reader").start(() -> {
                Reading result;
                try {
                    result = read();
                } catch (Throwable t) {
                    // Whatever happens there, the requests waiting for this read get an answer.
                    result = new Unreadable("cannot read the unit files: " + t);
                }
                Reading read = result;
                loop.execute(() -> readDone(read, waiting));
            });
        } catch (OutOfMemoryError | RuntimeException noThread) {
            // No thread to be had (out of memory or tasks): this reload fails, and the next may work.
            reading = false;
            for (Consumer<String> done : waiting) done.accept("cannot read the unit files: " + noThread);
        }
    }

    private void readDone(Reading read, List<Consumer<String>> waiting) {
        reading = false;
        if (stopping.getAsBoolean()) {
            // Units added now would outlive the shutdown, which stops what was there when it began.
            List<Consumer<String>> all = new ArrayList<>(waiting);
            all.addAll(nextRead);
            nextRead.clear();
            String why = "the daemon is shutting down: the unit files are not applied";
            for (Consumer<String> done : all) done.accept(why);
            return;
        }
        String summary = switch (read) {
            case Unreadable u -> {
                reporter.say(u.why());
                // The directories do not wait for units that could not be read: they start with what there is.
                if (!started && firstRead == null) {
                    firstRead = List.of();
                    boot();
                }
                yield u.why();
            }
            case Units u -> {
                loader = u.loader();
                sockets.namedSockets(u.namedSockets());
                yield apply(u.units());
            }
        };
        for (Consumer<String> done : waiting) done.accept(summary);
        if (!nextRead.isEmpty()) startRead();
    }

    /** On the reading thread: every unit's files, read, parsed and mapped. Touches no state of the table. */
    private Reading read() {
        UnitLoader loader;
        try {
            loader = UnitLoader.scan(directories, host);
        } catch (IOException e) {
            return new Unreadable("cannot read the unit directories: " + e.getMessage());
        }
        // Every service file, every instance named by a link to its template (foo@bar.service), and every instance
        // a loaded unit names (getty.target.wants/getty@tty1.service), as systemd loads what is referenced.
        List<String> names = new ArrayList<>();
        for (Path dir : directories) names.addAll(loader.unitFilesIn(dir));
        for (String name : loader.names()) {
            if (UnitName.parse(name).filter(UnitName::isInstance).isPresent()) names.add(name);
        }
        Set<String> seen = new LinkedHashSet<>();
        List<ReadUnit> units = new ArrayList<>();
        Map<String, List<String>> namedSockets = new LinkedHashMap<>();
        UnaryOperator<String> canonical = name -> loader.locate(name).name().map(UnitName::toString).orElse(name);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Optional<UnitName> parsed = UnitName.parse(name);
            if (parsed.isEmpty() || parsed.get().isTemplate() || !seen.add(name)) continue;
            if (parsed.get().type() == UnitType.TARGET) {
                UnitResult result = loader.load(name);
                if (result instanceof UnitResult.Loaded loaded) {
                    units.add(new Target(name, Node.of(loaded.unit(), canonical), About.of(loaded.unit()),
                            loaded.diagnostics()));
                    names.addAll(instancesNamed(loaded));
                } else {
                    units.add(new NotLoaded(name, result));
                }
                continue;
            }
            if (parsed.get().type() == UnitType.SLICE) {
                UnitResult result = loader.load(name);
                units.add(result instanceof UnitResult.Loaded loaded && loaded.unit().slice().isPresent()
                        ? new SliceFile(name, loaded.unit().slice().get(), About.of(loaded.unit()))
                        : new NotLoaded(name, result));
                continue;
            }
            if (parsed.get().type() == UnitType.SOCKET) {
                UnitResult result = loader.load(name);
                units.add(result instanceof UnitResult.Loaded loaded && loaded.unit().socket().isPresent()
                        ? new Socket(name, Node.of(loaded.unit(), canonical), loaded.unit().socket().get(),
                                About.of(loaded.unit()))
                        : new NotLoaded(name, result));
                continue;
            }
            if (parsed.get().type() != UnitType.SERVICE) continue;
            UnitResult result = loader.load(name);
            if (!(result instanceof UnitResult.Loaded loaded)) {
                units.add(new NotLoaded(name, result));
                continue;
            }
            Mapping mapping;
            try {
                mapping = new Runs(UnitMapper.map(loaded.unit(), host, accounts, environment, hardLimits));
            } catch (UnitMapper.CannotRun e) {
                mapping = new CannotRun(e.getMessage());
            }
            units.add(new Loaded(name, loaded, fingerprint(loader, loaded), mapping,
                    Node.of(loaded.unit(), canonical)));
            names.addAll(instancesNamed(loaded));
            loaded.unit().service().filter(sv -> !sv.sockets().isEmpty())
                    .ifPresent(sv -> namedSockets.put(name, List.copyOf(sv.sockets())));
        }
        return new Units(units, loader, namedSockets);
    }

    /** The instances of services and targets that a unit's dependencies name. */
    private static List<String> instancesNamed(UnitResult.Loaded loaded) {
        List<String> out = new ArrayList<>();
        loaded.unit().unit().dependencies().values().forEach(names -> {
            for (String n : names) {
                Optional<UnitName> u = UnitName.parse(n).filter(UnitName::isInstance);
                if (u.isPresent() && (u.get().type() == UnitType.SERVICE || u.get().type() == UnitType.TARGET)) {
                    out.add(n);
                }
            }
        });
        return out;
    }

    /** On the loop: what was read becomes what runs. Returns the summary. */
    private String apply(List<ReadUnit> units) {
        Set<String> seen = new LinkedHashSet<>();
        List<String> toStart = new ArrayList<>();
        int added = 0, changed = 0, failed = 0;
        for (ReadUnit unit : units) {
            seen.add(unit.name());
            // Refused again below if it still is.
            refused.remove(unit.name());
            switch (apply(unit)) {
                case ADDED -> {
                    added++;
                    if (fingerprints.containsKey(unit.name()) && !resumed.contains(unit.name())) {
                        toStart.add(unit.name());
                    }
                }
                case CHANGED -> changed++;
                case FAILED -> failed++;
                case UNCHANGED -> { }
            }
        }
        Set<String> targets = new HashSet<>();
        for (ReadUnit unit : units) if (unit instanceof Target) targets.add(unit.name());
        nodes.values().removeIf(n -> n.kind() == Node.Kind.TARGET && !targets.contains(n.name()));
        about.keySet().retainAll(seen);
        slices.keySet().retainAll(seen);
        refused.keySet().retainAll(seen);
        int removed = 0;
        for (String name : List.copyOf(socketUnits)) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed; closing its sockets");
                socketUnits.remove(name);
                sockets.remove(name);
                nodes.remove(name);
                removed++;
            }
        }
        for (String name : List.copyOf(waitingForName.keySet())) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed before the unit could start again");
                waitingForName.remove(name);
                nodes.remove(name);
                removed++;
            }
        }
        for (String name : List.copyOf(fingerprints.keySet())) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed; stopping");
                fingerprints.remove(name);
                nodes.remove(name);
                supervisor.remove(name);
                removed++;
            }
        }
        setGraph();
        if (started) {
            for (String name : toStart) engine.enqueue(JobType.START, name);
        } else if (firstRead == null) {
            firstRead = toStart;
            boot();
        }
        resumed.clear();
        return added + " added, " + changed + " changed, " + removed + " removed, " + failed + " failed to load";
    }

    private static final String DEFAULT_TARGET = "default.target";

    /**
     * Once the units are read and the trees scanned, the first time: the target starts, so that what a unit names
     * of the directories and what a directory names of the units are there. After a re-exec the old daemon's units
     * and directories go on in the states it left them in, stopped ones stopped: the target is not started again,
     * only units new since then are, and directories that still wait for their start job.
     */
    private void boot() {
        if (started || firstRead == null || !scanned) return;
        started = true;
        // The directories the scan added this turn are not in the engine's graph yet.
        Graph graph = setGraph();
        if (afterReexec) {
            for (String name : firstRead) engine.enqueue(JobType.START, name);
            startAwaiting(graph);
        } else {
            Set<String> lacking = dirNodes.missing(graph, reporter::say);
            for (String node : dirNodes.awaitingStart()) if (!lacking.contains(node)) startGiven.add(node);
            startTarget();
        }
        firstRead = null;
    }

    /**
     * Gives each directory that waits for its start job, and no longer lacks a requirement, its start job. One whose
     * job is over, however it ended, is not given another: an operator's {@code sv up} is its next.
     */
    private void startAwaiting(Graph graph) {
        Set<String> lacking = dirNodes.missing(graph, reporter::say);
        for (String node : dirNodes.awaitingStart()) {
            if (lacking.contains(node) || startGiven.contains(node)) continue;
            boolean waiting = dirNodes.directoryOf(node).flatMap(supervisor::get)
                    .filter(s -> s.state() instanceof ServiceState.Down && s.want() == Want.UP).isPresent();
            if (!waiting) continue;
            startGiven.add(node);
            engine.enqueue(JobType.START, node);
        }
        startGiven.retainAll(dirNodes.wanted());
    }

    /** Builds the graph anew from the units and the directories, and gives it to the engine. */
    private Graph setGraph() {
        Graph graph = graph();
        engine.graph(graph);
        dirNodes.relink(graph);
        return graph;
    }

    /**
     * The units and the directories, with what socket activation implies (see {@link SocketEdges}), and a
     * {@code default.target} that wants every unit if the unit directories have none: every socket, and every
     * service but those a socket activates, which start on their first connection. The target the daemon starts
     * wants every scanned directory without a {@code down} file. With the implicit dependencies of
     * {@code DefaultDependencies=yes} and the stand-in targets they name.
     */
    private Graph graph() {
        List<Node> withDirectories = new ArrayList<>(nodes.values());
        withDirectories.addAll(dirNodes.nodes());
        List<Node> all = SocketEdges.add(withDirectories, sockets);
        String boot = target.orElse(DEFAULT_TARGET);
        Set<String> directoriesWanted = dirNodes.wanted();
        if (!nodes.containsKey(DEFAULT_TARGET)) {
            Set<String> every = new LinkedHashSet<>();
            Set<String> activated = sockets.activated();
            for (Node n : nodes.values()) {
                if (n.kind() == Node.Kind.SOCKET
                        || n.kind() == Node.Kind.SERVICE && !activated.contains(n.name())) {
                    every.add(n.name());
                }
            }
            if (boot.equals(DEFAULT_TARGET)) every.addAll(directoriesWanted);
            all.add(new Node(DEFAULT_TARGET, Node.Kind.TARGET, Map.of(Dependency.WANTS, every)));
        }
        for (int i = 0; i < all.size() && !directoriesWanted.isEmpty(); i++) {
            Node bootNode = all.get(i);
            if (!bootNode.name().equals(boot)) continue;
            var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
            edges.putAll(bootNode.edges());
            Set<String> wants = new LinkedHashSet<>(bootNode.get(Dependency.WANTS));
            wants.addAll(directoriesWanted);
            edges.put(Dependency.WANTS, wants);
            all.set(i, new Node(boot, bootNode.kind(), edges, bootNode.traits()));
            break;
        }
        return new Graph(DefaultDependencies.apply(all));
    }

    /** The limits of the {@code .slice} unit {@code slice}, if its file was loaded. */
    public Optional<ResourceLimits> sliceLimits(String slice) {
        return Optional.ofNullable(slices.get(slice));
    }

    /**
     * Accept=yes: loads the instance {@code name} from its template and starts it, outside the job engine (it is
     * no node of the graph). False, having said why, if it cannot be loaded or started.
     */
    public boolean startInstance(String name) {
        if (loader == null) return false;
        UnitResult result = loader.load(name);
        if (!(result instanceof UnitResult.Loaded loaded)) {
            reporter.say(name, "cannot load the instance: " + result.diagnostics());
            return false;
        }
        try {
            UnitMapper.Mapped mapped = UnitMapper.map(loaded.unit(), host, accounts, environment, hardLimits);
            supervisor.add(mapped.spec());
        } catch (UnitMapper.CannotRun | SpawnException | IllegalArgumentException e) {
            reporter.say(name, "cannot run: " + e.getMessage());
            return false;
        }
        supervisor.unit(name).ifPresent(vigil.service.UnitService::start);
        return true;
    }

    /** An Accept=yes instance that ended: forgotten. */
    public void removeInstance(String name) {
        supervisor.unit(name).filter(u -> u.state().activeState().equals("inactive")
                || u.state().activeState().equals("failed")).ifPresent(u -> supervisor.remove(name));
    }

    private void startTarget() {
        String name = target.orElse(DEFAULT_TARGET);
        if (!engine.graph().contains(name)) {
            reporter.say(name + ": no such target in the unit directories; no unit started");
            return;
        }
        engine.enqueue(JobType.START, name);
    }

    private enum Outcome { ADDED, CHANGED, UNCHANGED, FAILED }

    private Outcome apply(ReadUnit unit) {
        return switch (unit) {
            case NotLoaded u -> notLoaded(u.name(), u.result());
            case Loaded u -> loaded(u);
            case Target t -> {
                // Said when the target is new or changed, not at every daemon-reload.
                if (!t.node().equals(nodes.get(t.name()))) {
                    for (Diagnostic d : t.diagnostics()) reporter.say(t.name(), d.format());
                }
                nodes.put(t.name(), t.node());
                about.put(t.name(), t.about());
                yield Outcome.UNCHANGED;
            }
            case SliceFile sl -> {
                boolean added = !slices.containsKey(sl.name());
                slices.put(sl.name(), sl.limits());
                about.put(sl.name(), sl.about());
                yield added ? Outcome.ADDED : Outcome.UNCHANGED;
            }
            case Socket so -> {
                boolean added = socketUnits.add(so.name());
                sockets.put(so.name(), so.section());
                nodes.put(so.name(), so.node());
                about.put(so.name(), so.about());
                yield added ? Outcome.ADDED : Outcome.UNCHANGED;
            }
        };
    }

    private Outcome notLoaded(String name, UnitResult result) {
        waitingForName.remove(name);
        List<String> errors = new ArrayList<>();
        for (Diagnostic d : result.diagnostics()) if (d.isError()) errors.add(d.format());
        errors.forEach(e -> reporter.say(name, e));
        if (result instanceof UnitResult.Masked) reporter.say(name, "masked; not started");
        if (result instanceof UnitResult.NotFound nf) reporter.say(name, "not loaded: " + nf.reason());
        if (fingerprints.containsKey(name)) return Outcome.UNCHANGED;
        if (!errors.isEmpty()) refused.put(name, String.join("; ", errors));
        return Outcome.FAILED;
    }

    /** Says why the unit is not loaded, and keeps it for status. */
    private Outcome refuse(String name, String why) {
        reporter.say(name, why);
        refused.put(name, why);
        return Outcome.FAILED;
    }

    /** The units not loaded because of what is in their files, each with why: for status. */
    public Map<String, String> refused() {
        return Collections.unmodifiableMap(refused);
    }

    private Outcome loaded(Loaded read) {
        String name = read.name();
        String fingerprint = read.fingerprint();
        String existing = fingerprints.get(name);
        Waiting waiting = waitingForName.get(name);
        about.put(name, About.of(read.loaded().unit()));
        if (fingerprint.equals(existing) || waiting != null && fingerprint.equals(waiting.fingerprint())) {
            return Outcome.UNCHANGED;
        }
        Optional<Path> directory = existing == null ? dirNodes.path(name) : Optional.empty();
        // Another user's transient service gives way to root's unit file (it is stopped and removed, and the unit
        // waits for the name below); a service directory, or root's own transient service, keeps the name.
        if (directory.isPresent()
                && !(supervisor.get(name).isPresent() && giveWay.test(name, read.loaded().unit().file().fragment()))) {
            return refuse(name, "not loaded: the service directory " + directory.get() + " is " + name
                    + " too; the unit file " + read.loaded().unit().file().fragment() + " is not loaded");
        }
        if (read.mapping() instanceof CannotRun(String why)) return refuse(name, "cannot run: " + why);
        UnitMapper.Mapped mapped = ((Runs) read.mapping()).mapped();
        if (existing == null) {
            for (String line : LoadWarnings.lines(read.loaded().diagnostics())) reporter.say(name, line);
        }
        mapped.notes().forEach(n -> reporter.say(name, n));
        if (existing != null) {
            fingerprints.put(name, fingerprint);
            nodes.put(name, read.node());
            supervisor.unit(name).ifPresent(unit -> unit.respec(mapped.spec()));
            reporter.say(name, "unit file changed; the new settings apply from its next start");
            return Outcome.CHANGED;
        }
        boolean removedOneStops = supervisor.unit(name).filter(old -> old.want() == Want.EXIT).isPresent();
        if (removedOneStops
                || supervisor.get(name).isPresent() && giveWay.test(name, read.loaded().unit().file().fragment())) {
            waitingForName.put(name, new Waiting(mapped.spec(), fingerprint));
            nodes.put(name, read.node());
            reporter.say(name, removedOneStops ? "starts once the instance removed before has stopped"
                    : "starts once the transient service that held its name has stopped");
            return waiting == null ? Outcome.ADDED : Outcome.CHANGED;
        }
        if (!add(mapped.spec(), fingerprint)) return Outcome.FAILED;
        nodes.put(name, read.node());
        return Outcome.ADDED;
    }

    /**
     * A unit of this name is gone from the supervisor: a unit whose file came back while it was stopping starts
     * now. Not while the daemon itself stops.
     */
    public void nameFreed(String name) {
        Waiting waiting = waitingForName.remove(name);
        if (waiting == null) return;
        if (add(waiting.spec(), waiting.fingerprint())) {
            engine.enqueue(JobType.START, name);
        } else {
            nodes.remove(name);
            setGraph();
        }
    }

    private boolean add(UnitSpec spec, String fingerprint) {
        try {
            if (handedOver.resume(spec)) {
                resumed.add(spec.name());
            } else {
                supervisor.add(spec);
            }
        } catch (SpawnException e) {
            refuse(spec.name(), "cannot start: " + e.getMessage());
            return false;
        } catch (IllegalArgumentException nameTaken) {
            refuse(spec.name(), "ignored: " + nameTaken.getMessage());
            return false;
        }
        fingerprints.put(spec.name(), fingerprint);
        return true;
    }

    /**
     * The digests of the unit's file and drop-ins, as the loader read them: what decides whether a daemon-reload
     * changes it. Digests, not the text, so no unit's text is kept. Its EnvironmentFile= files are not part of it:
     * they are read again for every command the unit runs.
     */
    private static String fingerprint(UnitLoader loader, UnitResult.Loaded loaded) {
        var text = new StringBuilder();
        List<Path> files = new ArrayList<>();
        files.add(loaded.unit().file().fragment());
        files.addAll(loaded.unit().file().dropIns());
        for (Path f : files) text.append(f).append('\0').append(loader.digest(f).orElse("?")).append('\0');
        return text.toString();
    }
}
