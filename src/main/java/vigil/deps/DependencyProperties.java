package vigil.deps;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vigil.unit.Dependency;

/**
 * A unit's dependencies as {@code systemctl show} names them: what it names itself ({@code Requires=}) and what
 * names it ({@code RequiredBy=}), each property read from both ends of the graph where systemd makes one edge of
 * two settings ({@code After=} of a unit is its own After= and every Before= that names it).
 */
public final class DependencyProperties {
    private DependencyProperties() {}

    /** How one property is read from the graph. */
    private record Property(String name, Dependency forward, Dependency reverse) {}

    /** systemd's order (unit_dependency_table), each property once. */
    private static final List<Property> PROPERTIES = List.of(
            new Property("Requires", Dependency.REQUIRES, null),
            new Property("Requisite", Dependency.REQUISITE, null),
            new Property("Wants", Dependency.WANTS, null),
            new Property("BindsTo", Dependency.BINDS_TO, null),
            new Property("PartOf", Dependency.PART_OF, null),
            new Property("Upholds", Dependency.UPHOLDS, null),
            new Property("RequiredBy", null, Dependency.REQUIRES),
            new Property("RequisiteOf", null, Dependency.REQUISITE),
            new Property("WantedBy", null, Dependency.WANTS),
            new Property("BoundBy", null, Dependency.BINDS_TO),
            new Property("UpheldBy", null, Dependency.UPHOLDS),
            new Property("ConsistsOf", null, Dependency.PART_OF),
            new Property("Conflicts", Dependency.CONFLICTS, null),
            new Property("ConflictedBy", null, Dependency.CONFLICTS),
            new Property("Before", Dependency.BEFORE, Dependency.AFTER),
            new Property("After", Dependency.AFTER, Dependency.BEFORE),
            new Property("OnSuccess", Dependency.ON_SUCCESS, null),
            new Property("OnSuccessOf", null, Dependency.ON_SUCCESS),
            new Property("OnFailure", Dependency.ON_FAILURE, null),
            new Property("OnFailureOf", null, Dependency.ON_FAILURE),
            new Property("PropagatesReloadTo", Dependency.PROPAGATES_RELOAD_TO, Dependency.RELOAD_PROPAGATED_FROM),
            new Property("ReloadPropagatedFrom", Dependency.RELOAD_PROPAGATED_FROM, Dependency.PROPAGATES_RELOAD_TO),
            new Property("PropagatesStopTo", Dependency.PROPAGATES_STOP_TO, Dependency.STOP_PROPAGATED_FROM),
            new Property("StopPropagatedFrom", Dependency.STOP_PROPAGATED_FROM, Dependency.PROPAGATES_STOP_TO),
            new Property("JoinsNamespaceOf", Dependency.JOINS_NAMESPACE_OF, Dependency.JOINS_NAMESPACE_OF));

    /** Every property's name, in systemd's order. */
    public static List<String> names() {
        return PROPERTIES.stream().map(Property::name).toList();
    }

    /** Every property of {@code unit}, empty ones included, in systemd's order. */
    public static Map<String, Set<String>> of(Graph graph, String unit) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (Property p : PROPERTIES) {
            Set<String> names = new LinkedHashSet<>();
            if (p.forward() != null) names.addAll(graph.forward(unit, p.forward()));
            if (p.reverse() != null) names.addAll(graph.reverse(unit, p.reverse()));
            out.put(p.name(), names);
        }
        return out;
    }
}
