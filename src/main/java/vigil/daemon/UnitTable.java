package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.UnaryOperator;
import vigil.deps.Graph;
import vigil.deps.JobEngine;
import vigil.deps.JobListener;
import vigil.deps.JobType;
import vigil.deps.Node;
import vigil.deps.SupervisedUnits;
import vigil.model.UnitSpec;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.service.Want;
import vigil.unit.Accounts;
import vigil.unit.Dependency;
import vigil.unit.Diagnostic;
import vigil.unit.Host;
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
 * <p>The units and the {@code .target} files form one dependency graph, which a {@link JobEngine} runs: units are
 * started and stopped by its jobs, in dependency order. At start-up the engine starts the target named by
 * {@code --target}, else {@code default.target}; without a {@code default.target} file, one that wants every unit
 * stands in, so every unit starts as it did before there was a graph.
 */
public final class UnitTable {
    private final Supervisor supervisor;
    private final Reporter reporter;
    private final List<Path> directories;
    private final BiPredicate<String, Path> giveWay;
    private final Optional<String> target;
    private final JobEngine engine;
    /** The graph's nodes: the units this table holds (or waits to add), and the targets of the unit directories. */
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private boolean started;
    private final Host host = Host.current();
    private final Accounts accounts = Accounts.system();
    private final Map<String, String> environment = Map.copyOf(System.getenv());
    /** What each unit this table started was made from: what decides whether a daemon-reload changes it. */
    private final Map<String, String> fingerprints = new LinkedHashMap<>();
    /** Units whose file came back while the instance removed with the old file was still stopping. */
    private final Map<String, Waiting> waitingForName = new LinkedHashMap<>();

    /** A loaded unit that starts once its name is free. */
    private record Waiting(UnitSpec spec, String fingerprint) {}

    /**
     * @param giveWay asked with a unit's name and file when a service directory or transient service holds the
     *                name: true if it is another user's transient service, which gives the name up, so the unit
     *                waits for it
     */
    /**
     * @param target the target to start instead of {@code default.target} ({@code --target})
     * @param jobs   hears of the jobs' ends and of what a transaction left out
     */
    UnitTable(Supervisor supervisor, Reporter reporter, List<Path> directories,
              BiPredicate<String, Path> giveWay, Optional<String> target, JobListener jobs) {
        this.supervisor = supervisor;
        this.target = target;
        this.engine = new JobEngine(new Graph(List.of()), new SupervisedUnits(supervisor), jobs);
        this.giveWay = giveWay;
        this.reporter = reporter;
        this.directories = List.copyOf(directories);
    }

    /** The unit directories' {@code .service} files, or none if there are no unit directories. */
    public boolean isEmpty() {
        return directories.isEmpty();
    }

    /** Loads every unit and starts the target; says what failed to load and why. */
    public void start() {
        reload();
    }

    /** A unit's state changed: its job may be done, or what waits for it may run. */
    public void unitChanged(String name) {
        engine.unitChanged(name);
    }

    /** {@code start}, {@code stop} or {@code restart} of a unit or target, as a transaction. */
    public JobEngine.Outcome job(JobType type, String name) {
        return engine.enqueue(type, name);
    }

    /** Stops every unit in reverse dependency order; {@code done} runs once all are down. */
    public void stopAll(Runnable done) {
        engine.stopAll(done);
    }

    /**
     * Reads the unit directories again: new units start, units whose files vanished stop and are forgotten, and
     * a changed unit takes its new spec, used from its next start on. Returns a one-line summary.
     */
    public String reload() {
        if (directories.isEmpty()) return "no unit directories";
        UnitLoader loader;
        try {
            loader = UnitLoader.scan(directories, host);
        } catch (IOException e) {
            reporter.say("cannot read the unit directories: " + e.getMessage());
            return "cannot read the unit directories: " + e.getMessage();
        }
        Set<String> seen = new LinkedHashSet<>();
        List<String> toStart = new ArrayList<>();
        UnaryOperator<String> canonical = name -> loader.locate(name).name().map(UnitName::toString).orElse(name);
        nodes.values().removeIf(n -> n.kind() == Node.Kind.TARGET);
        int added = 0, changed = 0, failed = 0;
        // Every service file, and every instance named by a link to its template (foo@bar.service).
        List<String> names = new ArrayList<>();
        for (Path dir : directories) names.addAll(loader.unitFilesIn(dir));
        for (String name : loader.names()) {
            if (UnitName.parse(name).filter(UnitName::isInstance).isPresent()) names.add(name);
        }
        for (String name : names) {
            Optional<UnitName> parsed = UnitName.parse(name);
            if (parsed.isEmpty() || parsed.get().isTemplate()) continue;
            if (parsed.get().type() == UnitType.TARGET) {
                loadTarget(loader, name, canonical);
                continue;
            }
            if (parsed.get().type() != UnitType.SERVICE) continue;
            if (!seen.add(name)) continue;
            switch (load(loader, name, canonical)) {
                case ADDED -> {
                    added++;
                    if (supervisor.unit(name).isPresent()) toStart.add(name);
                }
                case CHANGED -> changed++;
                case FAILED -> failed++;
                case UNCHANGED -> { }
            }
        }
        int removed = 0;
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
        engine.graph(graph());
        if (!started) {
            started = true;
            startTarget();
        } else {
            for (String name : toStart) engine.enqueue(JobType.START, name);
        }
        return added + " added, " + changed + " changed, " + removed + " removed, " + failed + " failed to load";
    }

    private static final String DEFAULT_TARGET = "default.target";

    /** The nodes, and a {@code default.target} that wants every unit if the unit directories have none. */
    private Graph graph() {
        List<Node> all = new ArrayList<>(nodes.values());
        if (!nodes.containsKey(DEFAULT_TARGET)) {
            Set<String> every = new LinkedHashSet<>();
            for (Node n : nodes.values()) if (n.kind() == Node.Kind.SERVICE) every.add(n.name());
            all.add(new Node(DEFAULT_TARGET, Node.Kind.TARGET, Map.of(Dependency.WANTS, every)));
        }
        return new Graph(all);
    }

    private void startTarget() {
        String name = target.orElse(DEFAULT_TARGET);
        if (!engine.graph().contains(name)) {
            reporter.say(name + ": no such target in the unit directories; no unit started");
            return;
        }
        engine.enqueue(JobType.START, name);
    }

    private void loadTarget(UnitLoader loader, String name, UnaryOperator<String> canonical) {
        UnitResult result = loader.load(name);
        if (result instanceof UnitResult.Loaded loaded) {
            nodes.put(name, Node.of(loaded.unit(), canonical));
            return;
        }
        for (Diagnostic d : result.diagnostics()) if (d.isError()) reporter.say(name, d.format());
    }

    private enum Outcome { ADDED, CHANGED, UNCHANGED, FAILED }

    private Outcome load(UnitLoader loader, String name, UnaryOperator<String> canonical) {
        UnitResult result = loader.load(name);
        String existing = fingerprints.get(name);
        if (!(result instanceof UnitResult.Loaded loaded)) {
            waitingForName.remove(name);
            for (Diagnostic d : result.diagnostics()) if (d.isError()) reporter.say(name, d.format());
            if (result instanceof UnitResult.Masked) reporter.say(name, "masked; not started");
            if (result instanceof UnitResult.NotFound nf) reporter.say(name, "not loaded: " + nf.reason());
            return existing == null ? Outcome.FAILED : Outcome.UNCHANGED;
        }
        String fingerprint = fingerprint(loaded);
        Waiting waiting = waitingForName.get(name);
        if (fingerprint.equals(existing) || waiting != null && fingerprint.equals(waiting.fingerprint())) {
            return Outcome.UNCHANGED;
        }
        Node node = Node.of(loaded.unit(), canonical);
        UnitMapper.Mapped mapped;
        try {
            mapped = UnitMapper.map(loaded.unit(), host, accounts, environment);
        } catch (UnitMapper.CannotRun e) {
            reporter.say(name, "cannot run: " + e.getMessage());
            return Outcome.FAILED;
        }
        if (existing == null) {
            for (Diagnostic d : loaded.diagnostics()) reporter.say(name, d.format());
        }
        mapped.notes().forEach(n -> reporter.say(name, n));
        if (existing != null) {
            fingerprints.put(name, fingerprint);
            nodes.put(name, node);
            supervisor.unit(name).ifPresent(unit -> unit.respec(mapped.spec()));
            reporter.say(name, "unit file changed; the new settings apply from its next start");
            return Outcome.CHANGED;
        }
        boolean stopping = supervisor.unit(name).filter(old -> old.want() == Want.EXIT).isPresent();
        if (stopping || supervisor.get(name).isPresent() && giveWay.test(name, loaded.unit().file().fragment())) {
            waitingForName.put(name, new Waiting(mapped.spec(), fingerprint));
            nodes.put(name, node);
            reporter.say(name, stopping ? "starts once the instance removed before has stopped"
                    : "starts once the transient service that held its name has stopped");
            return waiting == null ? Outcome.ADDED : Outcome.CHANGED;
        }
        if (!add(mapped.spec(), fingerprint)) return Outcome.FAILED;
        nodes.put(name, node);
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
            engine.graph(graph());
        }
    }

    private boolean add(UnitSpec spec, String fingerprint) {
        try {
            supervisor.add(spec);
        } catch (SpawnException e) {
            reporter.say(spec.name(), "cannot start: " + e.getMessage());
            return false;
        } catch (IllegalArgumentException nameTaken) {
            reporter.say(spec.name(), "ignored: " + nameTaken.getMessage());
            return false;
        }
        fingerprints.put(spec.name(), fingerprint);
        return true;
    }

    /**
     * The contents of the unit's file and drop-ins: what decides whether a daemon-reload changes it. Its
     * EnvironmentFile= files are not part of it: they are read again for every command the unit runs.
     */
    private static String fingerprint(UnitResult.Loaded loaded) {
        var text = new StringBuilder();
        List<Path> files = new ArrayList<>();
        files.add(loaded.unit().file().fragment());
        files.addAll(loaded.unit().file().dropIns());
        for (Path f : files) {
            try {
                text.append(f).append('\0').append(Files.readString(f)).append('\0');
            } catch (IOException e) {
                text.append(f).append("\0?\0");
            }
        }
        return text.toString();
    }
}
