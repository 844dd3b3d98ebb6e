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
 *   <li>a socket: {@code Requires=} and {@code After=sysinit.target}, {@code Conflicts=} and
 *       {@code Before=shutdown.target};</li>
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
    public static final String DBUS_SOCKET = "dbus.socket";

    private static final List<Dependency> PULLS = List.of(Dependency.WANTS, Dependency.REQUIRES,
            Dependency.REQUISITE, Dependency.BINDS_TO, Dependency.UPHOLDS);

    private DefaultDependencies() {}

    /** The nodes with their implicit dependencies added, and the stand-in targets they need. */
    public static List<Node> apply(Collection<Node> nodes) {
        Map<String, Node> byName = new LinkedHashMap<>();
        Map<String, Map<Dependency, Set<String>>> edges = new LinkedHashMap<>();
        Set<String> named = new LinkedHashSet<>();
        for (Node n : nodes) {
            byName.put(n.name(), n);
            if (!n.traits().defaultDependencies()) continue;
            var e = copy(n.edges());
            edges.put(n.name(), e);
            if (n.kind() == Node.Kind.SERVICE) {
                add(e, Dependency.REQUIRES, SYSINIT);
                add(e, Dependency.AFTER, SYSINIT);
                add(e, Dependency.AFTER, BASIC);
                named.addAll(List.of(SYSINIT, BASIC));
            } else if (n.kind() == Node.Kind.SOCKET) {
                // socket.c's: early boot first, as for a service, but not basic.target, which sockets come before.
                add(e, Dependency.REQUIRES, SYSINIT);
                add(e, Dependency.AFTER, SYSINIT);
                named.add(SYSINIT);
            }
            if (!n.name().equals(SHUTDOWN)) {
                add(e, Dependency.CONFLICTS, SHUTDOWN);
                add(e, Dependency.BEFORE, SHUTDOWN);
                named.add(SHUTDOWN);
            }
        }
        // As systemd's target_deps_queue: once every unit has its own implicit edges, so that the loop check sees
        // them (sysinit.target wants services that its default dependencies order after it).
        for (Node n : nodes) {
            if (n.kind() != Node.Kind.TARGET || !edges.containsKey(n.name())) continue;
            for (Dependency d : PULLS) {
                for (String other : n.get(d)) {
                    if (edges.containsKey(other) && !orderedBefore(n.name(), other, edges)) {
                        add(edges.get(n.name()), Dependency.AFTER, other);
                    }
                }
            }
        }
        if (byName.containsKey(DBUS_SOCKET)) {
            for (Node n : nodes) {
                if (!n.traits().busClient()) continue;
                var e = edges.computeIfAbsent(n.name(), k -> copy(n.edges()));
                add(e, Dependency.REQUIRES, DBUS_SOCKET);
                add(e, Dependency.AFTER, DBUS_SOCKET);
            }
        }
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            var e = edges.get(n.name());
            out.add(e == null ? n : new Node(n.name(), n.kind(), e, n.traits()));
        }
        for (String target : named) {
            if (!byName.containsKey(target)) out.add(new Node(target, Node.Kind.TARGET, Map.of()));
        }
        return out;
    }

    /** systemd adds no After= that would contradict an ordering written either way round. */
    private static boolean orderedBefore(String target, String other, Map<String, Map<Dependency, Set<String>>> edges) {
        return edges.get(target).getOrDefault(Dependency.BEFORE, Set.of()).contains(other)
                || edges.get(other).getOrDefault(Dependency.AFTER, Set.of()).contains(target);
    }

    private static Map<Dependency, Set<String>> copy(Map<Dependency, Set<String>> edges) {
        var e = new EnumMap<Dependency, Set<String>>(Dependency.class);
        edges.forEach((k, v) -> e.put(k, new LinkedHashSet<>(v)));
        return e;
    }

    private static void add(Map<Dependency, Set<String>> edges, Dependency kind, String name) {
        edges.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(name);
    }
}
