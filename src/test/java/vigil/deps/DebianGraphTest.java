package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;
import vigil.unit.Host;
import vigil.unit.UnitCorpusTest;
import vigil.unit.UnitLoader;
import vigil.unit.UnitName;
import vigil.unit.UnitResult;
import vigil.unit.UnitType;

/**
 * The dependency graph of a stock Debian 12 system: {@code multi-user.target} over the unit files that the systemd,
 * openssh-server, nginx, cron, dbus and redis-server packages ship (fetched and unpacked as {@link UnitCorpusTest}
 * does: {@code apt-get download}, {@code dpkg-deb -x} into {@code target/unit-corpus}; skipped, saying why, without
 * apt or the network). ssh, nginx, cron and redis-server are enabled as their packages' postinst enables them: a
 * {@code Wants=} from each {@code WantedBy=} target.
 *
 * <p>Every unit reached from the target is loaded, whatever its type: sockets, mounts, slices... enter the graph
 * without default dependencies (Vigil runs only services and targets today), so that the transaction walks through
 * them as systemd's does. Checked: no ordering cycle, in the graph or in the start transaction; and every reference
 * that resolves to no unit file is one of {@link #NOT_SHIPPED}, units that other packages or generators provide.
 */
class DebianGraphTest {
    /** The services whose packages are under test, each enabled as its package enables it. */
    private static final List<String> ENABLED = List.of("ssh.service", "nginx.service", "cron.service",
            "redis-server.service");

    /** The units referenced from multi-user.target's closure that none of the packages ship, and why. */
    private static final Map<String, String> NOT_SHIPPED = Map.ofEntries(
            Map.entry("-.slice", "the root slice: built into systemd's manager, no file"),
            Map.entry("system.slice", "built into systemd's manager, no file"),
            Map.entry("home.mount", "made from /etc/fstab by systemd-fstab-generator"),
            Map.entry("tmp.mount", "fstab's; Debian ships its tmp.mount outside the search path, in "
                    + "/usr/share/systemd, for the admin to copy"),
            Map.entry("auditd.service", "the auditd package"),
            Map.entry("display-manager.service", "an alias that a display manager's package (gdm3, lightdm) makes"),
            Map.entry("plymouth-start.service", "the plymouth package"),
            Map.entry("systemd-hwdb-update.service", "not built for Debian: udev's postinst updates the hwdb"),
            Map.entry("systemd-update-done.service", "not built for Debian, which has no ConditionNeedsUpdate= "
                    + "/usr updates"),
            Map.entry("systemd-vconsole-setup.service", "not built for Debian: console-setup sets up the console"));

    private static Graph graph;
    private static final Map<String, Set<String>> unresolved = new TreeMap<>();

    @BeforeAll
    static void load() throws IOException, InterruptedException {
        UnitCorpusTest.unpack();
        UnitLoader loader = UnitLoader.scan(UnitCorpusTest.systemDirs(), Host.current());
        Map<String, Node> nodes = new LinkedHashMap<>();
        Deque<String> work = new ArrayDeque<>(List.of("multi-user.target"));
        Map<String, Set<String>> enabledBy = new LinkedHashMap<>();
        for (String service : ENABLED) {
            var loaded = assertInstanceOf(UnitResult.Loaded.class, loader.load(service), service);
            for (String target : loaded.unit().install().wantedBy()) {
                enabledBy.computeIfAbsent(target, t -> new LinkedHashSet<>()).add(service);
            }
        }
        while (!work.isEmpty()) {
            String name = work.pop();
            if (nodes.containsKey(name)) continue;
            UnitResult result = loader.load(name);
            if (!(result instanceof UnitResult.Loaded loaded)) continue;
            Node node = Node.of(loaded.unit(), n -> loader.locate(n).name().map(UnitName::toString).orElse(n));
            var edges = new LinkedHashMap<>(node.edges());
            Set<String> wants = new LinkedHashSet<>(node.get(Dependency.WANTS));
            wants.addAll(enabledBy.getOrDefault(node.name(), Set.of()));
            edges.put(Dependency.WANTS, wants);
            UnitType type = loaded.unit().name().type();
            boolean runs = type == UnitType.SERVICE || type == UnitType.TARGET;
            node = new Node(node.name(), node.kind(), edges, runs ? node.traits() : Traits.NONE);
            nodes.put(node.name(), node);
            for (Set<String> names : edges.values()) {
                for (String other : names) {
                    if (loader.locate(other).fragment().isEmpty() && !loader.isMasked(other)) {
                        unresolved.computeIfAbsent(other, o -> new TreeSet<>()).add(node.name());
                    } else {
                        work.add(other);
                    }
                }
            }
        }
        graph = new Graph(DefaultDependencies.apply(nodes.values()));
    }

    @Test
    void theGraphHasNoOrderingCycle() {
        assertEquals(List.of(), graph.orderingCycles());
        assertTrue(graph.nodes().size() > 50, graph.nodes().size() + " units");
    }

    @Test
    void startingMultiUserTargetPullsInTheServicesWithoutACycle() {
        var units = new FakeUnits();
        List<String> said = new ArrayList<>();
        var engine = new JobEngine(graph, units, new JobListener() {
            @Override
            public void finished(Job job, JobResult result) {}

            @Override
            public void say(String unit, String message) {
                said.add(unit + ": " + message);
            }
        });
        units.engine = engine;
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.START, "multi-user.target"));
        assertEquals(List.of(), said.stream().filter(m -> m.contains("cycle")).toList());
        Set<String> planned = new TreeSet<>();
        for (Job job : engine.jobs()) planned.add(job.unit());
        for (String unit : List.of("ssh.service", "nginx.service", "cron.service", "redis-server.service",
                "dbus.service", "dbus.socket", "sysinit.target", "basic.target")) {
            assertTrue(planned.contains(unit), unit + " in " + planned);
        }
    }

    @Test
    void theOnlyUnresolvedReferencesAreToUnitsThesePackagesDoNotShip() {
        Set<String> unexpected = new TreeSet<>(unresolved.keySet());
        unexpected.removeAll(NOT_SHIPPED.keySet());
        assertEquals(Set.of(), unexpected, "referenced by: " + unresolved);
    }
}
