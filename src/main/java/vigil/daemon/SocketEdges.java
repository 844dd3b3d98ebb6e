package vigil.daemon;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vigil.deps.Node;
import vigil.socket.SocketUnits;
import vigil.unit.Dependency;

/**
 * The dependencies socket activation implies, as systemd adds them: a socket unit starts before
 * {@code sockets.target} and before the service it activates; that service requires the socket and starts after
 * it, and so does a service for each socket its {@code Sockets=} names (with Wants=).
 */
final class SocketEdges {
    private SocketEdges() {}

    static List<Node> add(Collection<Node> nodes, SocketUnits sockets) {
        Map<String, Map<Dependency, Set<String>>> extra = new LinkedHashMap<>();
        sockets.triggers().forEach((socket, service) -> {
            edge(extra, socket, Dependency.BEFORE, service);
            edge(extra, service, Dependency.REQUIRES, socket);
            edge(extra, service, Dependency.AFTER, socket);
        });
        for (Node n : nodes) {
            if (n.kind() == Node.Kind.SOCKET) edge(extra, n.name(), Dependency.BEFORE, "sockets.target");
        }
        sockets.namedSockets().forEach((service, named) -> {
            for (String socket : named) {
                edge(extra, service, Dependency.WANTS, socket);
                edge(extra, service, Dependency.AFTER, socket);
            }
        });
        List<Node> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            Map<Dependency, Set<String>> more = extra.get(n.name());
            if (more == null) {
                out.add(n);
                continue;
            }
            var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
            n.edges().forEach((k, v) -> edges.put(k, new LinkedHashSet<>(v)));
            more.forEach((k, v) -> edges.computeIfAbsent(k, x -> new LinkedHashSet<>()).addAll(v));
            out.add(new Node(n.name(), n.kind(), edges));
        }
        return out;
    }

    private static void edge(Map<String, Map<Dependency, Set<String>>> extra, String from, Dependency kind,
                             String to) {
        extra.computeIfAbsent(from, f -> new EnumMap<>(Dependency.class))
                .computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(to);
    }
}
