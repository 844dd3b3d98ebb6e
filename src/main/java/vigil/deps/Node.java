package vigil.deps;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import vigil.unit.Dependency;

/**
 * One unit of the graph, with the units it names.
 *
 * @param name   the full unit name, {@code web.service} (for a service directory too) or {@code multi-user.target}
 * @param kind   what runs it
 * @param source where it was defined, for messages: a unit file or a service directory
 * @param edges  every dependency kind it sets, with the names in the order written
 */
public record Node(String name, Kind kind, String source, Map<Dependency, Set<String>> edges) {
    /** A target has no process: the engine itself makes it active or inactive. */
    public enum Kind { SERVICE, TARGET }

    public Node {
        var copy = new EnumMap<Dependency, Set<String>>(Dependency.class);
        edges.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
        edges = Collections.unmodifiableMap(copy);
    }

    public Set<String> get(Dependency kind) {
        return edges.getOrDefault(kind, Set.of());
    }
}
