package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.Readiness;
import vigil.model.RestartPolicy;
import vigil.model.StopPolicy;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeLog;
import vigil.service.FakeProcesses.FakePipe;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.ProcessRequest.Stdio;

/**
 * Pairs of service and logger (one pipe for their whole life, the logger stopped after its producer), and units run
 * beside them under the same names and the same shutdown.
 */
class SupervisorTest {
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final RecordingListener listener = new RecordingListener();
    private final FakeUnitOs unitOs = new FakeUnitOs();
    private final Supervisor supervisor = new Supervisor(os, unitOs, clock, listener, listener);
    private boolean allGone;

    private static DirectorySpec withLogger(String name) {
        Path dir = Path.of("/sv", name);
        Command run = new Command(dir.resolve("run"), List.of("./run"), dir, Map.of());
        Command logRun = new Command(dir.resolve("log/run"), List.of("./log/run"), dir.resolve("log"), Map.of());
        DirectorySpec logger = DirectorySpec.simple(name + "/log", dir.resolve("log"), logRun);
        return new DirectorySpec(name, dir, run, Optional.empty(), false, new Readiness.OnStart(), StopPolicy.DEFAULT,
                RestartPolicy.DEFAULT, Optional.of(logger));
    }

    @Test
    void producerAndLoggerShareOnePipeAcrossRestartsOfEither() throws Exception {
        supervisor.add(withLogger("web"));
        assertEquals(1, os.pipes.size());
        FakePipe pipe = os.pipes.getFirst();
        FakeProcess run = os.last("./run");
        FakeProcess log = os.last("./log/run");
        assertEquals(new Stdio.PipeWriteEnd(pipe), run.request.stdout());
        assertEquals(new Stdio.PipeReadEnd(pipe), log.request.stdin());

        clock.advance(Duration.ofSeconds(2));
        run.killedBy(Signals.SIGKILL);
        log.exit(1);
        clock.advance(Duration.ofSeconds(2));
        assertEquals(new Stdio.PipeWriteEnd(pipe), os.last("./run").request.stdout());
        assertEquals(new Stdio.PipeReadEnd(pipe), os.last("./log/run").request.stdin());
        assertEquals(1, os.pipes.size(), "restarts never make a new pipe");
        assertFalse(pipe.writeEndClosed);
    }

    @Test
    void controlURunsBeforeTheProducerOnlyAsRunsvNeverRunsScriptsForALogger() throws Exception {
        supervisor.add(withLogger("web"));
        assertEquals(Optional.of(Path.of("/sv/web/control/u")), os.last("./run").request.before());
        assertEquals(Optional.empty(), os.last("./log/run").request.before());
    }

    @Test
    void shutdownStopsTheLoggerOnlyAfterItsProducerAndLetsItDrain() throws Exception {
        supervisor.add(withLogger("web"));
        FakePipe pipe = os.pipes.getFirst();
        FakeProcess run = os.last("./run");
        FakeProcess log = os.last("./log/run");

        supervisor.shutdown(() -> allGone = true);
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), run.signals);
        assertEquals(List.of(), log.signals, "the logger keeps reading while its producer stops");
        assertFalse(pipe.writeEndClosed);

        run.killedBy(Signals.SIGTERM);
        assertTrue(pipe.writeEndClosed, "once the producer is down, the logger can see EOF");
        assertEquals(List.of(), log.signals, "the logger is not signalled: it exits at EOF");
        assertFalse(allGone);

        log.exit(0);
        assertTrue(pipe.closed);
        assertTrue(allGone);
        assertEquals(List.of("web", "web/log"), listener.removed);
        assertEquals(2, os.count("./run") + os.count("./log/run"), "nothing restarted during shutdown");
    }

    @Test
    void aServiceWithoutLoggerWritesStdoutAndStderrToOneBuiltInLogThatOutlivesItsRestarts() throws Exception {
        supervisor.add(DirectorySpec.simple("plain", Path.of("/sv/plain"),
                new Command(Path.of("/sv/plain/run"), List.of("./run"), Path.of("/sv/plain"), Map.of())));
        assertEquals(1, os.logs.size());
        FakeLog log = os.logs.getFirst();
        assertEquals("plain", log.service);
        FakeProcess run = os.last("./run");
        assertEquals(new Stdio.Log(log), run.request.stdout());
        assertEquals(new Stdio.Log(log), run.request.stderr());

        clock.advance(Duration.ofSeconds(2));
        run.killedBy(Signals.SIGKILL);
        assertEquals(2, os.count("./run"));
        assertEquals(new Stdio.Log(log), os.last("./run").request.stdout());
        assertEquals(new Stdio.Log(log), os.last("./run").request.stderr());
        assertEquals(1, os.logs.size(), "restarts never make a new log");
        assertFalse(log.closed);

        supervisor.shutdown(() -> allGone = true);
        assertFalse(log.closed, "the log stays open while the service stops");
        os.last("./run").exit(0);
        assertTrue(log.closed);
        assertTrue(allGone);
    }

    @Test
    void aLoggersOwnOutputAndTheProducersStderrGoToTheBuiltInLogTheProducersStdoutToTheLogger() throws Exception {
        supervisor.add(withLogger("web"));
        FakeLog log = os.logs.getFirst();
        assertEquals(List.of("web/log"), os.logs.stream().map(l -> l.service).toList());
        assertEquals(new Stdio.Log(log), os.last("./log/run").request.stdout());
        assertEquals(new Stdio.Log(log), os.last("./log/run").request.stderr());
        assertEquals(new Stdio.PipeWriteEnd(os.pipes.getFirst()), os.last("./run").request.stdout());
        assertEquals(new Stdio.Log(log), os.last("./run").request.stderr());

        supervisor.shutdown(() -> allGone = true);
        os.last("./run").exit(0);
        assertFalse(log.closed, "the logger still writes to it while it drains");
        os.last("./log/run").exit(0);
        assertTrue(log.closed);
        assertTrue(os.pipes.getFirst().closed);
    }

    @Test
    void aLoggerThatDoesNotDrainIsSignalledAfterTheTimeout() throws Exception {
        supervisor.add(withLogger("web"));
        FakeProcess log = os.last("./log/run");
        supervisor.shutdown(() -> allGone = true);
        os.last("./run").exit(0);
        clock.advance(Service.LOGGER_DRAIN_TIMEOUT.minusMillis(1));
        assertEquals(List.of(), log.signals);
        clock.advance(Duration.ofMillis(1));
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), log.signals);
        log.killedBy(Signals.SIGTERM);
        assertTrue(allGone);
    }

    @Test
    void removingOneServiceLeavesTheOthersAlone() throws Exception {
        supervisor.add(withLogger("a"));
        supervisor.add(DirectorySpec.simple("b", Path.of("/sv/b"),
                new Command(Path.of("/sv/b/run"), List.of("./run"), Path.of("/sv/b"), Map.of())));
        FakeProcess b = os.last("./run");
        supervisor.remove("a");
        FakeProcess aRun = os.started.get(1);
        aRun.exit(0);
        os.started.getFirst().exit(0);
        assertEquals(Optional.empty(), supervisor.get("a"));
        assertEquals(Optional.empty(), supervisor.get("a/log"));
        assertInstanceOf(ServiceState.Up.class, supervisor.get("b").orElseThrow().state());
        assertEquals(List.of(), b.signals);
    }

    @Test
    void aServiceThatIsDownIsRemovedAtOnce() throws Exception {
        DirectorySpec spec = DirectorySpec.simple("idle", Path.of("/sv/idle"),
                new Command(Path.of("/sv/idle/run"), List.of("./run"), Path.of("/sv/idle"), Map.of()));
        supervisor.add(new DirectorySpec(spec.name(), spec.directory(), spec.run(), spec.finish(), true,
                spec.readiness(), spec.stop(), spec.restart(), spec.logger()));
        supervisor.shutdown(() -> allGone = true);
        assertTrue(allGone);
        assertEquals(0, os.started.size());
    }

    @Test
    void namesAreUniqueAndRenameKeepsTheService() throws Exception {
        supervisor.add(withLogger("a"));
        Service a = supervisor.get("a").orElseThrow();
        assertThrows(IllegalArgumentException.class, () -> supervisor.add(withLogger("a")));
        supervisor.rename("a", withLogger("b"));
        assertEquals(a, supervisor.get("b").orElseThrow());
        assertEquals("b/log", supervisor.get("b/log").orElseThrow().name());
        assertEquals(Optional.empty(), supervisor.get("a"));
        assertEquals(2, os.started.size(), "a rename restarts nothing");
        assertEquals(Path.of("/sv/b"), a.spec().directory());
        supervisor.get("b").orElseThrow().stop();
        os.started.get(1).exit(0);
        a.start();
        assertEquals(Path.of("/sv/b"), os.last("./run").request.command().workingDirectory(),
                "the next start runs in the renamed directory");
    }

    private static UnitSpec notifyUnit(String name) {
        Path source = Path.of("/etc/systemd/system", name);
        Command daemon = new Command(Path.of("/usr/sbin/daemon"), List.of("/usr/sbin/daemon"), Path.of("/"), Map.of());
        return UnitSpec.builder(name, source).type(UnitSpec.Type.NOTIFY).notifyAccess(UnitSpec.NotifyAccess.MAIN)
                .commands(UnitSpec.Phase.START, List.of(new UnitCommand(daemon, env -> daemon.argv(), false)))
                .build();
    }

    @Test
    void aUnitRunsBesideTheServicesWithItsSocketAndLog() throws Exception {
        supervisor.add(withLogger("web"));
        supervisor.add(notifyUnit("db.service"));
        assertEquals(UnitState.DEAD, supervisor.unit("db.service").orElseThrow().state(), "its job starts it");
        supervisor.unit("db.service").orElseThrow().start();
        FakeProcess daemon = os.last("/usr/sbin/daemon");
        assertEquals("/run/vigil/notify/db.service", daemon.request.command().environment().get("NOTIFY_SOCKET"));
        FakeLog log = os.logs.getLast();
        assertEquals("db.service", log.service);
        assertEquals(new Stdio.Log(log), daemon.request.stdout(), "journal means the unit's built-in log");

        UnitService db = supervisor.unit("db.service").orElseThrow();
        assertEquals(UnitState.START, db.state());
        assertTrue(unitOs.notify("db.service", daemon.pid, 0, Map.of("READY", "1")));
        assertEquals(UnitState.RUNNING, db.state(), "its socket's messages reach it");
        assertEquals(List.of(db), List.copyOf(supervisor.units()));
        assertEquals(List.of("web", "web/log"), supervisor.services().stream().map(Service::name).toList());
        assertEquals(Optional.empty(), supervisor.get("db.service"), "a unit is not a service directory's service");
        assertEquals(Optional.empty(), supervisor.unit("web"));

        supervisor.remove("db.service");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), daemon.signals);
        daemon.killedBy(Signals.SIGTERM);
        assertEquals(List.of("db.service"), listener.removed);
        assertTrue(log.closed);
        assertFalse(unitOs.notifySockets.containsKey("db.service"), "its socket is closed with it");
        assertEquals(Optional.empty(), supervisor.unit("db.service"));
    }

    @Test
    void unitsAndServicesShareOneNameTable() throws Exception {
        supervisor.add(notifyUnit("web.service"));
        supervisor.unit("web.service").orElseThrow().start();
        DirectorySpec sameName = DirectorySpec.simple("web.service", Path.of("/sv/web.service"),
                new Command(Path.of("/sv/web.service/run"), List.of("./run"), Path.of("/sv/web.service"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> supervisor.add(sameName));
        assertEquals(1, os.started.size(), "nothing of the second one started");
    }

    @Test
    void aServiceThatCannotBeStoppedDoesNotKeepTheOthersRunningAtShutdown() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            supervisor.add(DirectorySpec.simple(name, Path.of("/sv", name),
                    new Command(Path.of("/sv", name, "run"), List.of("./run"), Path.of("/sv", name), Map.of())));
        }
        FakeProcess a = os.started.get(0);
        FakeProcess b = os.started.get(1);
        FakeProcess c = os.started.get(2);
        a.signalBug = new IllegalStateException("a bug in signal");

        IllegalStateException bug = assertThrows(IllegalStateException.class,
                () -> supervisor.shutdown(() -> allGone = true), "the failure still goes to the loop's reporter");
        assertEquals("a bug in signal", bug.getMessage());
        a.signalBug = null;
        assertTrue(b.signals.contains(Signals.SIGTERM), "b was stopped: " + b.signals);
        assertTrue(c.signals.contains(Signals.SIGTERM), "c was stopped: " + c.signals);

        b.killedBy(Signals.SIGTERM);
        c.killedBy(Signals.SIGTERM);
        assertFalse(allGone, "a still runs");
        a.exit(0);
        assertTrue(allGone, "a is gone once it exits on its own");
        assertEquals(3, os.started.size(), "nothing restarted");
    }

    @Test
    void aServiceThatRefusesTheSignalIsReportedAndWaitedForAtShutdown() throws Exception {
        for (String name : List.of("a", "b")) {
            supervisor.add(DirectorySpec.simple(name, Path.of("/sv", name),
                    new Command(Path.of("/sv", name, "run"), List.of("./run"), Path.of("/sv", name), Map.of())));
        }
        FakeProcess a = os.started.get(0);
        FakeProcess b = os.started.get(1);
        a.refusesSignals = true;

        supervisor.shutdown(() -> allGone = true);
        assertTrue(listener.lines.contains("a: cannot send SIGTERM to pid " + a.pid + ": Operation not permitted"),
                listener.lines.toString());
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), b.signals);
        b.killedBy(Signals.SIGTERM);
        assertFalse(allGone, "a still runs");
        a.exit(0);
        assertTrue(allGone);
    }

    @Test
    void shutdownWaitsForTheUnitsAsWellAsTheServices() throws Exception {
        supervisor.add(DirectorySpec.simple("plain", Path.of("/sv/plain"),
                new Command(Path.of("/sv/plain/run"), List.of("./run"), Path.of("/sv/plain"), Map.of())));
        supervisor.add(notifyUnit("db.service"));
        supervisor.unit("db.service").orElseThrow().start();
        FakeProcess plain = os.last("./run");
        FakeProcess daemon = os.last("/usr/sbin/daemon");
        supervisor.shutdown(() -> allGone = true);
        plain.killedBy(Signals.SIGTERM);
        assertFalse(allGone, "the unit is still stopping");
        daemon.killedBy(Signals.SIGTERM);
        assertTrue(allGone);
        assertTrue(supervisor.units().isEmpty());
        assertTrue(supervisor.services().isEmpty());
    }
}
