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
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.deps.Graph;
import vigil.deps.Job;
import vigil.deps.JobEngine;
import vigil.deps.JobListener;
import vigil.deps.JobResult;
import vigil.deps.JobType;
import vigil.deps.Node;
import vigil.deps.SupervisedUnits;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.unit.Dependency;

/**
 * The job engine over the real unit state machines, with fake processes and the virtual clock: when a start job is
 * done is each unit type's own readiness, so what is ordered after a unit waits for exactly that.
 */
class UnitJobsTest {
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeUnitOs unitOs = new FakeUnitOs();
    private final List<String> finished = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private JobEngine engine;

    private final UnitListener unitListener = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {
            engine.unitChanged(unit.name());
        }

        @Override
        public void event(UnitService unit, UnitEvent event) {}
    };
    private final RecordingListener serviceListener = new RecordingListener();
    private final Supervisor supervisor = new Supervisor(os, unitOs, clock, serviceListener, unitListener);

    private final JobListener jobs = new JobListener() {
        @Override
        public void finished(Job job, JobResult result) {
            finished.add(job + " " + result.word());
        }

        @Override
        public void say(String unit, String message) {}
    };

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
        nodes.add(new Node(name, Node.Kind.SERVICE, edges));
    }

    private void engine() {
        engine = new JobEngine(new Graph(nodes), new SupervisedUnits(supervisor), jobs);
    }

    private long started(String program) {
        return os.count(program);
    }

    @Test
    void whatIsOrderedAfterANotifyUnitWaitsForReadyOne() throws Exception {
        unit("db.service", Type.NOTIFY);
        unit("app.service", Type.SIMPLE, "Requires=db.service", "After=db.service");
        engine();
        engine.enqueue(JobType.START, "app.service");
        FakeProcess db = os.last("/bin/db");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(0, started("/bin/app"), "db has not said READY=1");
        unitOs.notify("db.service", db.pid, 0, Map.of("READY", "1"));
        assertEquals(1, started("/bin/app"));
        assertEquals(List.of("db.service/start done", "app.service/start done"), finished,
                "a simple unit is started once forked");
    }

    @Test
    void whatIsOrderedAfterAOneshotWaitsForItsExit() throws Exception {
        unit("migrate.service", Type.ONESHOT);
        unit("app.service", Type.EXEC, "Wants=migrate.service", "After=migrate.service");
        engine();
        engine.enqueue(JobType.START, "app.service");
        assertEquals(0, started("/bin/app"));
        os.last("/bin/migrate").exit(0);
        assertEquals(1, started("/bin/app"), "the oneshot is done once it exits, and ends inactive");
        assertEquals(List.of("migrate.service/start done"), finished, "an exec unit is not started until execve");
        os.last("/bin/app").observer.execSucceeded();
        assertEquals("app.service/start done", finished.getLast());
    }

    @Test
    void aFailedOneshotFailsWhatRequiresIt() throws Exception {
        unit("migrate.service", Type.ONESHOT);
        unit("app.service", Type.SIMPLE, "Requires=migrate.service", "After=migrate.service");
        engine();
        engine.enqueue(JobType.START, "app.service");
        os.last("/bin/migrate").exit(3);
        assertEquals(0, started("/bin/app"));
        assertEquals(List.of("migrate.service/start failed", "app.service/start dependency"), finished);
    }

    @Test
    void shutdownStopsEachUnitOnlyOnceWhatIsOrderedAfterItHasStopped() throws Exception {
        unit("db.service", Type.NOTIFY);
        unit("app.service", Type.SIMPLE, "Requires=db.service", "After=db.service");
        engine();
        engine.enqueue(JobType.START, "app.service");
        FakeProcess db = os.last("/bin/db");
        unitOs.notify("db.service", db.pid, 0, Map.of("READY", "1"));
        FakeProcess app = os.last("/bin/app");
        boolean[] done = {false};
        engine.stopAll(() -> done[0] = true);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), app.signals);
        assertTrue(db.signals.isEmpty(), "db stops after app");
        app.killedBy(Signals.SIGTERM);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), db.signals);
        assertFalse(done[0]);
        db.killedBy(Signals.SIGTERM);
        assertTrue(done[0]);
    }
}
