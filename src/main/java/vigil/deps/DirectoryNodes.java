package vigil.deps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import vigil.model.DirectorySpec;
import vigil.unit.Dependency;
import vigil.unit.UnitName;
import vigil.unit.UnitType;

/**
 * The service directories and transient services as nodes of the dependency graph, beside the units. A directory
 * {@code web} is the node {@code web.service}, and either name finds it. Its {@code dependencies.d/} entries (s6-rc's
 * format) are {@code Requires=} and {@code After=}: a name with a unit suffix is that unit (or the directory whose
 * node it is), a bare name another directory. Each directory of a scanned tree without a {@code down} file is wanted
 * by the target the daemon starts. Loop thread only.
 */
public final class DirectoryNodes {
    /** Each directory or transient service, by its supervisor name ({@code web}). */
    private final Map<String, Entry> byDirectory = new LinkedHashMap<>();
    private final Map<String, String> directoryOfNode = new HashMap<>();
    /**
     * The directories something in the graph names, or that name something, by supervisor name: only their state
     * changes concern an idle engine, so a plain directory's restart costs it one set lookup.
     */
    private Set<String> linked = Set.of();

    /**
     * @param missingSaid the names its {@code dependencies.d/} gives that exist nowhere, once said
     */
    private record Entry(String directory, Path path, Node node, boolean wanted, Set<String> missingSaid) {}

    /** The node a directory became, and what was wrong with its {@code dependencies.d/}, one line each. */
    public record Added(Node node, List<String> problems) {
        /** It requires something, so it waits for a start job instead of starting at once. */
        public boolean awaitsStart() {
            return !node.get(Dependency.REQUIRES).isEmpty();
        }
    }

    /** The node of the directory {@code web}: {@code web.service}; a directory already named so keeps its name. */
    public static String nodeName(String directory) {
        return UnitName.parse(directory).filter(n -> n.type() == UnitType.SERVICE).isPresent() ? directory
                : directory + ".service";
    }

    /** A name as {@code dependencies.d/} gives it: a unit name as it is, a bare name the directory's node. */
    static String resolve(String name) {
        return UnitName.parse(name).isPresent() ? name : name + ".service";
    }

    /** The node of {@code spec}, as it would be added; the caller checks first that its name is free. */
    public static Added nodeOf(DirectorySpec spec) {
        String name = nodeName(spec.name());
        Set<String> required = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (String entry : spec.dependencies()) {
            String other = resolve(entry);
            if (other.equals(name)) {
                problems.add(spec.directory().resolve("dependencies.d").resolve(entry)
                        + ": names the service itself; ignored");
            } else {
                required.add(other);
            }
        }
        var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
        if (!required.isEmpty()) {
            edges.put(Dependency.REQUIRES, required);
            edges.put(Dependency.AFTER, required);
        }
        return new Added(new Node(name, Node.Kind.SERVICE, edges), problems);
    }

    /**
     * Takes {@code spec} in as {@code added} (see {@link #nodeOf}).
     *
     * @param scanned from a scanned tree, not made transient: wanted by the target unless it has a {@code down} file
     */
    public void add(DirectorySpec spec, Added added, boolean scanned) {
        remove(spec.name());
        Entry entry = new Entry(spec.name(), spec.directory(), added.node(), scanned && !spec.startsDown(),
                new HashSet<>());
        byDirectory.put(spec.name(), entry);
        directoryOfNode.put(added.node().name(), spec.name());
    }

    public void remove(String directory) {
        Entry gone = byDirectory.remove(directory);
        if (gone != null) directoryOfNode.remove(gone.node().name(), directory);
    }

    /** The directory was renamed: its node is renamed with it, its dependencies as they were. */
    public void rename(String from, DirectorySpec renamed) {
        Entry old = byDirectory.get(from);
        if (old == null) return;
        remove(from);
        Node node = old.node();
        add(renamed, new Added(new Node(nodeName(renamed.name()), node.kind(), node.edges()), List.of()),
                old.wanted());
    }

    /** The directory or transient service whose node this is: {@code web} for {@code web.service}. */
    public Optional<String> directoryOf(String nodeName) {
        return Optional.ofNullable(directoryOfNode.get(nodeName));
    }

    /** Where the directory of this node is. */
    public Optional<Path> path(String nodeName) {
        return directoryOf(nodeName).map(d -> byDirectory.get(d).path());
    }

    public Collection<Node> nodes() {
        List<Node> all = new ArrayList<>(byDirectory.size());
        for (Entry e : byDirectory.values()) all.add(e.node());
        return all;
    }

    /** The nodes the daemon's target wants. */
    public Set<String> wanted() {
        Set<String> out = new LinkedHashSet<>();
        for (Entry e : byDirectory.values()) if (e.wanted()) out.add(e.node().name());
        return out;
    }

    /** The nodes that wait for a start job: wanted, and requiring something. */
    public List<String> awaitingStart() {
        List<String> out = new ArrayList<>();
        for (Entry e : byDirectory.values()) {
            if (e.wanted() && !e.node().get(Dependency.REQUIRES).isEmpty()) out.add(e.node().name());
        }
        return out;
    }

    /** Whether the directory's state matters to the engine when it has no job: see {@link #relink}. */
    public boolean linked(String directory) {
        return linked.contains(directory);
    }

    /** Whether something requires, is bound to or is part of the node: a stop of it stops more. */
    public static boolean hasDependents(Graph graph, String node) {
        for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO, Dependency.PART_OF,
                Dependency.REQUISITE)) {
            if (!graph.reverse(node, d).isEmpty()) return true;
        }
        return false;
    }

    /**
     * Works out anew which directories are linked to anything in {@code graph} (a target wanting them does not
     * count: that only starts them).
     */
    public void relink(Graph graph) {
        Set<String> now = new HashSet<>();
        for (Entry e : byDirectory.values()) {
            if (isLinked(graph, e.node())) now.add(e.directory());
        }
        linked = now;
    }

    private static boolean isLinked(Graph graph, Node node) {
        if (!node.edges().isEmpty()) return true;
        for (Dependency d : Dependency.values()) {
            for (String other : graph.reverse(node.name(), d)) {
                boolean targetWants = d == Dependency.WANTS
                        && graph.node(other).filter(n -> n.kind() == Node.Kind.TARGET).isPresent();
                if (!targetWants) return true;
            }
        }
        return false;
    }

    /**
     * The names each directory requires that {@code graph} does not hold, each said once (naming the directory and
     * the entry) until it exists; returns the nodes that lack one.
     */
    public Set<String> missing(Graph graph, BiConsumer<String, String> say) {
        Set<String> lacking = new HashSet<>();
        for (Entry e : byDirectory.values()) {
            Set<String> required = e.node().get(Dependency.REQUIRES);
            e.missingSaid().retainAll(required);
            for (String name : required) {
                if (graph.contains(name)) {
                    e.missingSaid().remove(name);
                    continue;
                }
                lacking.add(e.node().name());
                if (e.missingSaid().add(name)) {
                    say.accept(e.directory(), e.path().resolve("dependencies.d") + " names " + name
                            + ", which exists nowhere (no unit file, no service directory): " + e.directory()
                            + " starts once it does");
                }
            }
        }
        return lacking;
    }
}
