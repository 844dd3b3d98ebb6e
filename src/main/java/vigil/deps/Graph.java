package vigil.deps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.unit.Dependency;

/**
 * Every unit and the dependencies between them, both ways: a unit's {@code Requires=} is its target's
 * "required by", {@code Before=} and {@code After=} are one ordering seen from either end, and {@code Conflicts=}
 * holds both ways. Immutable; a daemon-reload builds a new one.
 */
public final class Graph {
    private final Map<String, Node> nodes;
    /** For each unit, the units that name it, by the dependency kind they name it with. */
    private final Map<String, Map<Dependency, Set<String>>> reverse = new HashMap<>();

    public Graph(Collection<Node> nodes) {
        var byName = new LinkedHashMap<String, Node>();
        for (Node n : nodes) byName.put(n.name(), n);
        this.nodes = byName;
        for (Node n : byName.values()) {
            n.edges().forEach((kind, names) -> {
                for (String other : names) {
                    reverse.computeIfAbsent(other, o -> new EnumMap<>(Dependency.class))
                            .computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(n.name());
                }
            });
        }
    }

    public boolean contains(String name) {
        return nodes.containsKey(name);
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.get(name));
    }

    public Collection<Node> nodes() {
        return nodes.values();
    }

    /** The units {@code name} names with {@code kind}. */
    public Set<String> forward(String name, Dependency kind) {
        Node n = nodes.get(name);
        return n == null ? Set.of() : n.get(kind);
    }

    /** The units that name {@code name} with {@code kind}: {@code reverse(db, REQUIRES)} is what requires db. */
    public Set<String> reverse(String name, Dependency kind) {
        return reverse.getOrDefault(name, Map.of()).getOrDefault(kind, Set.of());
    }

    /** The units {@code name} starts after (and stops before). */
    public Set<String> after(String name) {
        return both(name, Dependency.AFTER, Dependency.BEFORE);
    }

    /** The units {@code name} starts before (and stops after). */
    public Set<String> before(String name) {
        return both(name, Dependency.BEFORE, Dependency.AFTER);
    }

    /** The units that may not run beside {@code name}, whichever side said so. */
    public Set<String> conflicts(String name) {
        return both(name, Dependency.CONFLICTS, Dependency.CONFLICTS);
    }

    private Set<String> both(String name, Dependency forward, Dependency reversed) {
        Set<String> out = new LinkedHashSet<>(forward(name, forward));
        out.addAll(reverse(name, reversed));
        return out;
    }

    /**
     * The ordering cycles: each strongly connected set of units (or a unit ordered after itself) over
     * {@code After=}/{@code Before=}, each as one closed path through some of its units (the first unit repeated
     * at the end). Tarjan's algorithm, iterative, so that a long chain does not overflow the stack.
     */
    public List<List<String>> orderingCycles() {
        var index = new HashMap<String, Integer>();
        var low = new HashMap<String, Integer>();
        var onStack = new LinkedHashSet<String>();
        Deque<String> stack = new ArrayDeque<>();
        var cycles = new ArrayList<List<String>>();
        int[] counter = {0};
        for (String root : nodes.keySet()) {
            if (index.containsKey(root)) continue;
            Deque<Map.Entry<String, Iterator<String>>> work = new ArrayDeque<>();
            visit(root, index, low, counter, stack, onStack, work);
            while (!work.isEmpty()) {
                var top = work.peek();
                String v = top.getKey();
                if (top.getValue().hasNext()) {
                    String w = top.getValue().next();
                    if (!nodes.containsKey(w)) continue;
                    if (!index.containsKey(w)) {
                        visit(w, index, low, counter, stack, onStack, work);
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                    continue;
                }
                work.pop();
                if (!work.isEmpty()) {
                    String parent = work.peek().getKey();
                    low.put(parent, Math.min(low.get(parent), low.get(v)));
                }
                if (low.get(v).equals(index.get(v))) {
                    var component = new LinkedHashSet<String>();
                    String w;
                    do {
                        w = stack.pop();
                        onStack.remove(w);
                        component.add(w);
                    } while (!w.equals(v));
                    if (component.size() > 1 || after(v).contains(v)) cycles.add(cyclePath(component));
                }
            }
        }
        return cycles;
    }

    private void visit(String v, Map<String, Integer> index, Map<String, Integer> low, int[] counter,
                       Deque<String> stack, Set<String> onStack, Deque<Map.Entry<String, Iterator<String>>> work) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        work.push(Map.entry(v, after(v).iterator()));
    }

    /** One closed path through a strongly connected set, over After= edges. */
    private List<String> cyclePath(Set<String> component) {
        String start = component.iterator().next();
        return OrderingCycles.path(start, u -> after(u).stream().filter(component::contains).toList());
    }
}
