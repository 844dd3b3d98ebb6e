package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.deps.DirectoryNodes;
import vigil.deps.Graph;
import vigil.deps.Job;
import vigil.deps.JobEngine;
import vigil.deps.JobListener;
import vigil.deps.JobResult;
import vigil.deps.JobType;
import vigil.deps.Node;
import vigil.deps.SupervisedUnits;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.Readiness;
import vigil.model.ResourceLimits;
import vigil.model.RestartPolicy;
import vigil.model.StopPolicy;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.unit.Dependency;

/**
 * Service directories as nodes of the job engine's graph, run by their real state machines over fake processes and
 * the virtual clock: a directory's start job is done once it is ready by its own readiness protocol, what requires a
 * directory waits for that, and its stop waits for what requires it.
 */
class DirectoryJobsTest {
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeUnitOs unitOs = new FakeUnitOs();
    private final List<String> finished = new ArrayList<>();
    private final List<Node> unitNodes = new ArrayList<>();
    private final DirectoryNodes directories = new DirectoryNodes();
    private JobEngine engine;

    private final RecordingListener recording = new RecordingListener();
    private final ServiceListener serviceListener = new ServiceListener() {
        @Override
        public void stateChanged(Service service) {
            if (engine != null && !service.name().endsWith("/log")) {
                engine.unitChanged(DirectoryNodes.nodeName(service.name()));
            }
        }

        @Override
        public void event(Service service, ServiceEvent event) {
            recording.event(service, event);
        }

        @Override
        public void removed(Service service) {}
    };
    private final UnitListener unitListener = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {
            if (engine != null) engine.unitChanged(unit.name());
        }

        @Override
        public void event(UnitService unit, UnitEvent event) {}
    };
    private final Supervisor supervisor = new Supervisor(os, unitOs, clock, serviceListener, unitListener);

    private final JobListener jobs = new JobListener() {
        @Override
        public void finished(Job job, JobResult result) {
            finished.add(job + " " + result.word());
        }

        @Override
        public void say(String unit, String message) {}
    };

    /** A service directory {@code /sv/NAME} whose run is {@code /sv/NAME/run}, with a dependencies.d/. */
    private DirectorySpec directory(String name, Readiness readiness, Optional<Command> finish, String... dependencies)
            throws SpawnException {
        Path dir = Path.of("/sv", name);
        Command run = new Command(dir.resolve("run"), List.of(dir.resolve("run").toString()), dir, Map.of());
        DirectorySpec spec = new DirectorySpec(name, dir, run, finish, false, readiness, StopPolicy.DEFAULT,
                RestartPolicy.DEFAULT, Optional.empty(), Optional.empty(), List.of(dependencies),
                ResourceLimits.NONE);
        DirectoryNodes.Added node = DirectoryNodes.nodeOf(spec);
        // As the daemon adds one: a directory that requires something waits for its start job.
        if (node.awaitsStart()) supervisor.addAwaitingStart(spec);
        else supervisor.add(spec);
        directories.add(spec, node, true);
        return spec;
    }

    private void directory(String name, String... dependencies) throws SpawnException {
        directory(name, new Readiness.OnStart(), Optional.empty(), dependencies);
    }

    /** A unit running {@code /bin/NAME}, with dependencies as in a unit file ("After=db.service"). */
    private void unit(String name, Type type, String... settings) throws SpawnException {
        String program = "/bin/" + name.substring(0, name.indexOf('.'));
        Command command = new Command(Path.of(program), List.of(program), Path.of("/"), Map.of());
        supervisor.add(UnitSpec.builder(name, Path.of("/etc/systemd/system", name)).type(type)
                .notifyAccess(UnitSpec.NotifyAccess.MAIN)
                .commands(Phase.START, List.of(new UnitCommand(command, env -> command.argv(), false))).build());
        var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
        for (String s : settings) {
            Dependency d = Dependency.forDirective(s.substring(0, s.indexOf('='))).orElseThrow();
            edges.computeIfAbsent(d, k -> new LinkedHashSet<>()).add(s.substring(s.indexOf('=') + 1));
        }
        unitNodes.add(new Node(name, Node.Kind.SERVICE, edges));
    }

    private void engine() {
        List<Node> all = new ArrayList<>(unitNodes);
        all.addAll(directories.nodes());
        Graph graph = new Graph(all);
        directories.relink(graph);
        engine = new JobEngine(graph, new SupervisedUnits(supervisor, directories, Service::stop), jobs);
    }

    private long started(String program) {
        return os.count(program);
    }

    @Test
    void aDirectoryThatRequiresANotifyUnitWaitsForItsReadinessAndIsDoneOnceItsRunIsExeced() throws Exception {
        unit("db.service", Type.NOTIFY);
        directory("web", "db.service");
        engine();
        assertEquals(0, started("/sv/web/run"), "a directory that requires something waits for its start job");
        engine.enqueue(JobType.START, "web.service");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(0, started("/sv/web/run"), "db has not said READY=1");
        unitOs.notify("db.service", os.last("/bin/db").pid, 0, Map.of("READY", "1"));
        assertEquals(1, started("/sv/web/run"));
        assertEquals(List.of("db.service/start done"), finished, "not done before run is exec'd");
        os.last("/sv/web/run").execSucceeded();
        assertEquals(List.of("db.service/start done", "web.service/start done"), finished);
    }

    @Test
    void bothNamesOfADirectoryFindItAndABareNameInDependenciesIsADirectory() throws Exception {
        directory("db");
        directory("web", "db");
        directory("api", "db.service");
        engine();
        assertEquals(Set.of("db.service"), engine.graph().forward("web.service", Dependency.REQUIRES));
        assertEquals(Set.of("db.service"), engine.graph().forward("api.service", Dependency.AFTER));
        assertEquals(Optional.of("web"), directories.directoryOf("web.service"));
        assertEquals(Optional.of(Path.of("/sv/web")), directories.path("web.service"));
    }

    @Test
    void aDirectoryOrderedAfterADirectoryWithACheckWaitsUntilTheCheckPasses() throws Exception {
        Path db = Path.of("/sv/db");
        Command check = new Command(db.resolve("check"), List.of("./check"), db, Map.of());
        directory("db", new Readiness.Probe(check), Optional.empty());
        directory("web", "db");
        engine();
        os.last("/sv/db/run").execSucceeded();
        engine.enqueue(JobType.START, "web.service");
        os.last("./check").exit(1);
        clock.advance(Duration.ofSeconds(1));
        assertEquals(0, started("/sv/web/run"), "db's check has not passed yet");
        os.last("./check").exit(0);
        assertEquals(1, started("/sv/web/run"));
    }

    @Test
    void aUnitThatRequiresADirectoryWithNotificationFdStartsOnceItIsReady() throws Exception {
        directory("db", new Readiness.NotificationFd(3), Optional.empty());
        unit("app.service", Type.SIMPLE, "Requires=db.service", "After=db.service");
        engine();
        FakeProcess db = os.last("/sv/db/run");
        db.execSucceeded();
        engine.enqueue(JobType.START, "app.service");
        assertEquals(0, started("/bin/app"), "db runs, but has not written to its notification-fd");
        db.reportReady();
        assertEquals(1, started("/bin/app"));
    }

    @Test
    void aDirectoryInBackoffIsOnItsWayUpAndWhatIsOrderedAfterItWaits() throws Exception {
        directory("db");
        unit("app.service", Type.SIMPLE, "Requires=db.service", "After=db.service");
        engine();
        os.last("/sv/db/run").exit(1);
        engine.enqueue(JobType.START, "app.service");
        assertEquals(0, started("/bin/app"), "db crashed and waits to restart");
        assertEquals(1, started("/sv/db/run"), "the start job does not cut the backoff short");
        clock.advance(Duration.ofSeconds(2));
        os.last("/sv/db/run").execSucceeded();
        assertEquals(1, started("/bin/app"));
    }

    @Test
    void aDirectoryThatFailsForGoodFailsWhatRequiresItWithDependency() throws Exception {
        Path db = Path.of("/sv/db");
        Command finish = new Command(db.resolve("finish"), List.of("./finish"), db, Map.of());
        directory("db", new Readiness.NotificationFd(3), Optional.of(finish));
        directory("web", "db");
        engine();
        engine.enqueue(JobType.START, "web.service");
        os.last("/sv/db/run").exit(1);
        os.last("./finish").exit(125);
        assertEquals(List.of("db.service/start failed", "web.service/start dependency"), finished);
        assertEquals(0, started("/sv/web/run"));
    }

    @Test
    void aStopOfADirectoryThatAUnitRequiresStopsTheUnitFirst() throws Exception {
        directory("db");
        unit("app.service", Type.SIMPLE, "Requires=db.service", "After=db.service");
        engine();
        FakeProcess db = os.last("/sv/db/run");
        db.execSucceeded();
        engine.enqueue(JobType.START, "app.service");
        FakeProcess app = os.last("/bin/app");
        engine.enqueue(JobType.STOP, "db.service");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), app.signals);
        assertTrue(db.signals.isEmpty(), "db stops once app is down");
        app.killedBy(Signals.SIGTERM);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), db.signals);
        db.killedBy(Signals.SIGTERM);
        assertEquals(List.of("app.service/start done", "app.service/stop done", "db.service/stop done"),
                finished.subList(finished.size() - 3, finished.size()));
        assertEquals(Want.DOWN, supervisor.get("db").orElseThrow().want());
    }

    @Test
    void shutdownStopsADirectoryOnlyOnceTheDirectoryThatRequiresItIsDown() throws Exception {
        directory("db");
        directory("web", "db");
        engine();
        FakeProcess db = os.last("/sv/db/run");
        db.execSucceeded();
        engine.enqueue(JobType.START, "web.service");
        FakeProcess web = os.last("/sv/web/run");
        web.execSucceeded();
        boolean[] done = {false};
        engine.stopAll(() -> done[0] = true);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), web.signals);
        assertTrue(db.signals.isEmpty());
        web.killedBy(Signals.SIGTERM);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), db.signals);
        assertFalse(done[0]);
        db.killedBy(Signals.SIGTERM);
        assertTrue(done[0]);
    }

    @Test
    void aDirectoryThatNamesItselfLosesOnlyThatEntryWithAMessageNamingTheFile() throws Exception {
        DirectorySpec spec = DirectorySpec.simple("web", Path.of("/sv/web"),
                new Command(Path.of("/sv/web/run"), List.of("./run"), Path.of("/sv/web"), Map.of()));
        DirectorySpec selfish = new DirectorySpec(spec.name(), spec.directory(), spec.run(), spec.finish(), false,
                spec.readiness(), spec.stop(), spec.restart(), Optional.empty(), Optional.empty(),
                List.of("db", "web", "web.service"), ResourceLimits.NONE);
        DirectoryNodes.Added added = DirectoryNodes.nodeOf(selfish);
        assertEquals(Set.of("db.service"), added.node().get(Dependency.REQUIRES));
        assertEquals(List.of("/sv/web/dependencies.d/web: names the service itself; ignored",
                "/sv/web/dependencies.d/web.service: names the service itself; ignored"), added.problems());
    }

    @Test
    void aNameThatExistsNowhereIsSaidOnceNamingTheDirectory() throws Exception {
        directory("web", "ghost");
        engine();
        List<String> said = new ArrayList<>();
        Set<String> lacking = directories.missing(engine.graph(), (name, message) -> said.add(name + ": " + message));
        directories.missing(engine.graph(), (name, message) -> said.add(name + ": " + message));
        assertEquals(Set.of("web.service"), lacking);
        assertEquals(List.of("web: /sv/web/dependencies.d names ghost.service, which exists nowhere (no unit file, "
                + "no service directory): web starts once it does"), said);
    }

    @Test
    void aPlainDirectoryIsNotLinkedAndItsRestartDoesNotReachTheEngine() throws Exception {
        directory("plain");
        directory("db");
        directory("web", "db");
        engine();
        assertFalse(directories.linked("plain"), "nothing names it and it names nothing");
        assertTrue(directories.linked("db"));
        assertTrue(directories.linked("web"));
    }
}
