package vigil.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.deps.Activity;
import vigil.deps.DependencyProperties;
import vigil.deps.Graph;
import vigil.deps.Job;
import vigil.deps.JobEngine;
import vigil.deps.Node;
import vigil.service.UnitService;

/**
 * The {@code units} request: every node of the dependency graph, or the named ones, with its state as systemctl
 * shows it (load, active and sub state, main pid, result, installed job) and its dependency properties. One reply
 * serves list-units, list-dependencies, show, is-active and is-failed, which differ only in what they print.
 * Without names, the units that are named by others and exist nowhere come last, {@code not-found}, as
 * {@code systemctl list-units --all} shows them.
 */
final class UnitsQuery {
    private UnitsQuery() {}

    static Map<String, Object> reply(Object id, ControlHost host, List<String> names) {
        JobEngine engine = host.engine();
        Graph graph = engine.graph();
        Map<String, Job> jobs = new LinkedHashMap<>();
        for (Job j : engine.jobs()) jobs.put(j.unit(), j);
        List<Object> entries = new ArrayList<>();
        if (names.isEmpty()) {
            Set<String> missing = new LinkedHashSet<>();
            for (Node n : graph.nodes()) {
                entries.add(describe(host, n.name(), jobs));
                n.edges().values().forEach(missing::addAll);
            }
            for (String name : missing) if (!graph.contains(name)) entries.add(notFound(name));
        } else {
            for (String name : names) {
                String full = canonical(graph, name);
                entries.add(graph.contains(full) ? describe(host, full, jobs) : notFound(full));
            }
        }
        Map<String, Object> reply = Protocol.ok(id);
        reply.put("units", entries);
        return reply;
    }

    /** {@code web} means {@code web.service}, as systemctl reads a name without a type. */
    static String canonical(Graph graph, String name) {
        if (graph.contains(name) || name.contains(".")) return name;
        return name + ".service";
    }

    private static Map<String, Object> describe(ControlHost host, String name, Map<String, Job> jobs) {
        Graph graph = host.engine().graph();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("load", "loaded");
        Optional<UnitService> unit = host.unit(name).filter(u -> u.name().equals(name));
        if (unit.isPresent()) {
            UnitService u = unit.get();
            m.put("active", u.state().activeState());
            m.put("sub", u.state().subState());
            m.put("result", u.result().systemdName());
            m.put("main_pid", u.mainPid());
        } else {
            Activity a = host.engine().activity(name);
            m.put("active", word(a));
            m.put("sub", switch (a) {
                case INACTIVE -> "dead";
                default -> word(a);
            });
            m.put("result", a == Activity.FAILED ? "failed" : "success");
            m.put("main_pid", 0);
        }
        m.put("description", host.description(name));
        m.put("file", host.unitFile(name).map(Object::toString).orElse(""));
        Job job = jobs.get(name);
        if (job != null) {
            m.put("job", job.type().word());
            m.put("job_id", job.id());
        }
        Map<String, Object> deps = new LinkedHashMap<>();
        DependencyProperties.of(graph, name).forEach((property, units) -> deps.put(property, List.copyOf(units)));
        m.put("dependencies", deps);
        return m;
    }

    private static Map<String, Object> notFound(String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("load", "not-found");
        m.put("active", "inactive");
        m.put("sub", "dead");
        m.put("result", "success");
        m.put("main_pid", 0);
        m.put("description", "");
        m.put("file", "");
        m.put("dependencies", Map.of());
        return m;
    }

    private static String word(Activity a) {
        return a.name().toLowerCase(Locale.ROOT);
    }
}
