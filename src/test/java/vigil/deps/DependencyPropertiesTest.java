package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;

class DependencyPropertiesTest {
    private final Graph graph = new Graph(List.of(
            new Node("app.service", Node.Kind.SERVICE, Map.of(
                    Dependency.REQUIRES, Set.of("db.service"),
                    Dependency.AFTER, Set.of("db.service"),
                    Dependency.PART_OF, Set.of("stack.target"),
                    Dependency.CONFLICTS, Set.of("old.service"),
                    Dependency.PROPAGATES_RELOAD_TO, Set.of("db.service"))),
            new Node("db.service", Node.Kind.SERVICE, Map.of(Dependency.BEFORE, Set.of("cache.service"))),
            new Node("multi-user.target", Node.Kind.TARGET, Map.of(Dependency.WANTS, Set.of("app.service"))),
            new Node("stack.target", Node.Kind.TARGET, Map.of())));

    @Test
    void eachPropertyIsReadFromBothEndsAsSystemctlShowsIt() {
        Map<String, Set<String>> app = DependencyProperties.of(graph, "app.service");
        assertEquals(Set.of("db.service"), app.get("Requires"));
        assertEquals(Set.of("multi-user.target"), app.get("WantedBy"));
        assertEquals(Set.of("stack.target"), app.get("PartOf"));
        assertEquals(Set.of("old.service"), app.get("Conflicts"));
        assertEquals(Set.of(), app.get("ConflictedBy"));
        assertEquals(Set.of("db.service"), app.get("After"));

        Map<String, Set<String>> db = DependencyProperties.of(graph, "db.service");
        assertEquals(Set.of("app.service"), db.get("RequiredBy"));
        assertEquals(Set.of("app.service", "cache.service"), db.get("Before"), "its Before= and app's After=");
        assertEquals(Set.of("app.service"), db.get("ReloadPropagatedFrom"));
        assertEquals(Set.of("app.service"), DependencyProperties.of(graph, "stack.target").get("ConsistsOf"));
        assertEquals(Set.of("app.service"), DependencyProperties.of(graph, "old.service").get("ConflictedBy"));
    }

    @Test
    void everyPropertyIsThereEmptyOrNotInSystemdsOrder() {
        Map<String, Set<String>> cache = DependencyProperties.of(graph, "cache.service");
        assertEquals(DependencyProperties.names(), List.copyOf(cache.keySet()));
        assertEquals(Set.of("db.service"), cache.get("After"));
        assertEquals(List.of("Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds", "RequiredBy"),
                DependencyProperties.names().subList(0, 7));
    }
}
