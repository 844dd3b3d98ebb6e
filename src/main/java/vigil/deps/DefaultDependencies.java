package vigil.deps;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vigil.unit.Dependency;

/**
 * The implicit dependencies of {@code DefaultDependencies=yes} (the default), as systemd's service.c and target.c
 * add them for the system manager:
 * <ul>
 *   <li>a service: {@code Requires=} and {@code After=sysinit.target}, {@code After=basic.target},
 *       {@code Conflicts=} and {@code Before=shutdown.target};</li>
 *   <li>a target: {@code After=} each unit it wants, requires, is bound to or upholds that has default dependencies
 *       too, unless it is ordered before that unit (which would make a loop); and {@code Conflicts=} and
 *       {@code Before=shutdown.target}, except for shutdown.target itself.</li>
 * </ul>
 * Where no {@code sysinit.target}, {@code basic.target} or {@code shutdown.target} is loaded, an empty one stands in,
 * so stock units load unchanged. Pure: nodes in, nodes out.
 */
public final class DefaultDependencies {
    public static final String SYSINIT = "sysinit.target";
    public static final String BASIC = "basic.target";
    public static final String SHUTDOWN = "shutdown.target";

    private static final List<Dependency> PULLS = List.of(Dependency.WANTS, Dependency.REQUIRES,
            Dependency.REQUISITE, Dependency.BINDS_TO, Dependency.UPHOLDS);

    private DefaultDependencies() {}

    /** The nodes with their implicit dependencies added, and the stand-in targets they need. */
    public static List<Node> apply(Collection<Node> nodes) {
        Map<String, Node> byName = new LinkedHashMap<>();
        for (Node n : nodes) byName.put(n.name(), n);
        List<Node> out = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>();
        for (Node n : nodes) {
            if (!n.traits().defaultDependencies()) {
                out.add(n);
                continue;
            }
            var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
            n.edges().forEach((k, v) -> edges.put(k, new LinkedHashSet<>(v)));
            if (n.kind() == Node.Kind.SERVICE) {
                add(edges, Dependency.REQUIRES, SYSINIT);
                add(edges, Dependency.AFTER, SYSINIT);
                add(edges, Dependency.AFTER, BASIC);
                named.addAll(List.of(SYSINIT, BASIC));
            } else {
                for (Dependency d : PULLS) {
                    for (String other : n.get(d)) {
                        Node o = byName.get(other);
                        if (o != null && o.traits().defaultDependencies() && !orderedBefore(n, o)) {
                            add(edges, Dependency.AFTER, other);
                        }
                    }
                }
            }
            if (!n.name().equals(SHUTDOWN)) {
                add(edges, Dependency.CONFLICTS, SHUTDOWN);
                add(edges, Dependency.BEFORE, SHUTDOWN);
                named.add(SHUTDOWN);
            }
            out.add(new Node(n.name(), n.kind(), edges, n.traits()));
        }
        for (String target : named) {
            if (!byName.containsKey(target)) out.add(new Node(target, Node.Kind.TARGET, Map.of()));
        }
        return out;
    }

    /** systemd adds no After= that would contradict an ordering written either way round. */
    private static boolean orderedBefore(Node target, Node other) {
        return target.get(Dependency.BEFORE).contains(other.name())
                || other.get(Dependency.AFTER).contains(target.name());
    }

    private static void add(Map<Dependency, Set<String>> edges, Dependency kind, String name) {
        edges.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(name);
    }
}
