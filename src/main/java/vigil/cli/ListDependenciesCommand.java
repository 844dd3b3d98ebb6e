package vigil.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;

@Command(name = "list-dependencies", description = {"Print the units a unit pulls in (Requires=, Requisite=, "
        + "Wants=, BindsTo=, and the units PartOf= it) as a tree, as systemctl list-dependencies does.",
        "Targets are followed down; other units only with --all. A unit already on the branch is shown as ..."})
final class ListDependenciesCommand extends ClientCommand {
    private static final List<String> FORWARD = List.of("Requires", "Requisite", "Wants", "ConsistsOf", "BindsTo");
    private static final List<String> REVERSE = List.of("RequiredBy", "RequisiteOf", "WantedBy", "PartOf", "BoundBy");

    /** systemctl's mark before each dependency, whose colour (not drawn here) tells its state. */
    private static final String CIRCLE = "\u25cf ";

    @Option(names = "--reverse", description = "the units that pull this one in instead")
    boolean reverse;

    @Option(names = "--after", description = "the units it is ordered after instead")
    boolean after;

    @Option(names = "--before", description = "the units it is ordered before instead")
    boolean before;

    @Option(names = "--all", description = "follow every unit down, not only targets")
    boolean all;

    @Option(names = "--plain", description = "indent only, with neither tree lines nor state marks")
    boolean plain;

    @Parameters(paramLabel = "UNIT", arity = "0..1", defaultValue = "default.target",
            description = "the unit (default: ${DEFAULT-VALUE})")
    String unit;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        List<String> properties = reverse ? REVERSE : after ? List.of("After") : before ? List.of("Before") : FORWARD;
        List<Map<String, Object>> units = UnitEntries.fetch(client, List.of());
        String root = UnitEntries.text(UnitEntries.fetch(client, List.of(unit)).getFirst(), "name");
        tree(units, root, properties, all, plain).forEach(out::println);
        return OK;
    }

    /** The tree's lines: the root, then each dependency, depth first, as systemctl draws it. */
    static List<String> tree(List<Map<String, Object>> units, String root, List<String> properties, boolean all,
                             boolean plain) {
        Map<String, Map<String, Object>> byName = new HashMap<>();
        for (Map<String, Object> u : units) byName.put(UnitEntries.text(u, "name"), u);
        List<String> out = new ArrayList<>();
        out.add(root);
        new Drawing(byName, properties, all, plain, out).children(root, 0, 0, new LinkedHashSet<>(List.of(root)));
        return out;
    }

    /** One drawing: the units, what to follow, and the lines so far. */
    private record Drawing(Map<String, Map<String, Object>> units, List<String> properties, boolean all,
                           boolean plain, List<String> out) {
        /**
         * The lines of {@code name}'s dependencies at {@code level}; bit i of {@code branches} says whether the
         * ancestor i levels up has siblings still to come, so its vertical line goes on.
         */
        void children(String name, int level, long branches, Set<String> path) {
            List<String> deps = dependencies(name);
            for (int i = 0; i < deps.size(); i++) {
                String dep = deps.get(i);
                boolean last = i == deps.size() - 1;
                if (path.contains(dep)) {
                    // systemctl marks a unit already on this branch with "..." one level down, and stops there.
                    if (!plain) out.add("  " + prefix(level + 1, branches << 1 | (last ? 0 : 1), true) + "...");
                    continue;
                }
                out.add((plain ? "  " : CIRCLE) + prefix(level, branches, last) + dep);
                if (all || dep.endsWith(".target")) {
                    path.add(dep);
                    children(dep, level + 1, branches << 1 | (last ? 0 : 1), path);
                    path.remove(dep);
                }
            }
        }

        /** Non-targets first, then targets, each by name ignoring case (systemctl's list_dependencies_compare). */
        private List<String> dependencies(String name) {
            Map<String, Object> entry = units.get(name);
            if (entry == null) return List.of();
            Set<String> deps = new LinkedHashSet<>();
            for (String p : properties) deps.addAll(UnitEntries.dependencies(entry, p));
            List<String> sorted = new ArrayList<>(deps);
            sorted.sort(Comparator.comparing((String d) -> d.endsWith(".target"))
                    .thenComparing(String.CASE_INSENSITIVE_ORDER));
            return sorted;
        }

        private String prefix(int level, long branches, boolean last) {
            StringBuilder b = new StringBuilder();
            if (plain) {
                b.repeat("  ", level);
                return b.toString();
            }
            for (int i = level - 1; i >= 0; i--) b.append((branches & (1L << i)) != 0 ? "\u2502 " : "  ");
            return b.append(last ? "\u2514\u2500" : "\u251c\u2500").toString();
        }
    }
}
