package vigil.deps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Finding one ordering cycle and naming it: shared by the transaction check and {@code vigil verify}. */
final class OrderingCycles {
    private OrderingCycles() {}

    /**
     * A cycle among {@code units}, following {@code after}: the units in order, the first repeated at the end; empty
     * if there is none. Depth first and iterative.
     */
    static Optional<List<String>> find(Iterable<String> units, Function<String, List<String>> after) {
        Set<String> done = new HashSet<>();
        for (String root : units) {
            if (done.contains(root)) continue;
            Map<String, Integer> onPath = new HashMap<>();
            List<String> path = new ArrayList<>();
            Deque<java.util.Iterator<String>> work = new ArrayDeque<>();
            onPath.put(root, 0);
            path.add(root);
            work.push(after.apply(root).iterator());
            while (!work.isEmpty()) {
                if (!work.peek().hasNext()) {
                    work.pop();
                    String finished = path.removeLast();
                    onPath.remove(finished);
                    done.add(finished);
                    continue;
                }
                String next = work.peek().next();
                Integer at = onPath.get(next);
                if (at != null) {
                    List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
                    cycle.add(next);
                    return Optional.of(cycle);
                }
                if (done.contains(next)) continue;
                onPath.put(next, path.size());
                path.add(next);
                work.push(after.apply(next).iterator());
            }
        }
        return Optional.empty();
    }

    /**
     * A closed path through the strongly connected set {@code start} is in, found from {@code start}; {@code after}
     * must keep to that set, where every unit is on some cycle.
     */
    static List<String> path(String start, Function<String, List<String>> after) {
        return find(List.of(start), after).orElse(List.of(start, start));
    }

    /** "a.service after b.service after a.service". */
    static String describe(List<String> cycle) {
        return String.join(" after ", cycle);
    }
}
