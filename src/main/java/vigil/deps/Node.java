package vigil.deps;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import vigil.unit.Dependency;
import vigil.unit.Unit;
import vigil.unit.UnitType;

/**
 * One unit of the graph, with the units it names.
 *
 * @param name   the full unit name, {@code web.service} (for a service directory too) or {@code multi-user.target}
 * @param kind   what runs it
 * @param edges  every dependency kind it sets, with the names in the order written
 * @param traits the other [Unit] switches the engine reads
 */
public record Node(String name, Kind kind, Map<Dependency, Set<String>> edges, Traits traits) {
    /**
     * A target has no process: the engine itself makes it active or inactive. A socket has none either, but its
     * start binds its fds, which can fail: the port runs it, as it runs services.
     */
    public enum Kind { SERVICE, TARGET, SOCKET }

    public Node {
        var copy = new EnumMap<Dependency, Set<String>>(Dependency.class);
        edges.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
        edges = Collections.unmodifiableMap(copy);
    }

    /** A node with none of the [Unit] switches: a stand-in target, a service directory. */
    public Node(String name, Kind kind, Map<Dependency, Set<String>> edges) {
        this(name, kind, edges, Traits.NONE);
    }

    /**
     * The node of a loaded unit file: a target or a service, with every dependency it sets (its {@code .wants/} and
     * {@code .requires/} entries included), each name as {@code canonical} gives it, so that an alias names the
     * unit it stands for.
     */
    public static Node of(Unit unit, UnaryOperator<String> canonical) {
        var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
        unit.unit().dependencies().forEach((kind, names) -> {
            Set<String> resolved = new LinkedHashSet<>();
            for (String n : names) resolved.add(canonical.apply(n));
            edges.put(kind, resolved);
        });
        Kind kind = switch (unit.name().type()) {
            case TARGET -> Kind.TARGET;
            case SOCKET -> Kind.SOCKET;
            default -> Kind.SERVICE;
        };
        return new Node(unit.name().toString(), kind, edges, Traits.of(unit));
    }

    public Set<String> get(Dependency kind) {
        return edges.getOrDefault(kind, Set.of());
    }
}
