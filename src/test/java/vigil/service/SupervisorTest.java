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
import vigil.model.Readiness;
import vigil.model.RestartPolicy;
import vigil.model.ServiceSpec;
import vigil.model.StopPolicy;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeLog;
import vigil.service.FakeProcesses.FakePipe;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.ProcessRequest.Stdio;

/** Pairs of service and logger: one pipe for their whole life, and the logger stopped after its producer. */
class SupervisorTest {
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final RecordingListener listener = new RecordingListener();
    private final Supervisor supervisor = new Supervisor(os, clock, listener);
    private boolean allGone;

    private static ServiceSpec withLogger(String name) {
        Path dir = Path.of("/sv", name);
        Command run = new Command(dir.resolve("run"), List.of("./run"), dir, Map.of());
        Command logRun = new Command(dir.resolve("log/run"), List.of("./log/run"), dir.resolve("log"), Map.of());
        ServiceSpec logger = ServiceSpec.simple(name + "/log", dir.resolve("log"), logRun);
        return new ServiceSpec(name, dir, run, Optional.empty(), false, new Readiness.OnStart(), StopPolicy.DEFAULT,
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
        supervisor.add(ServiceSpec.simple("plain", Path.of("/sv/plain"),
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
        supervisor.add(ServiceSpec.simple("b", Path.of("/sv/b"),
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
        ServiceSpec spec = ServiceSpec.simple("idle", Path.of("/sv/idle"),
                new Command(Path.of("/sv/idle/run"), List.of("./run"), Path.of("/sv/idle"), Map.of()));
        supervisor.add(new ServiceSpec(spec.name(), spec.directory(), spec.run(), spec.finish(), true,
                spec.readiness(), spec.stop(), spec.restart(), spec.logger()));
        supervisor.shutdown(() -> allGone = true);
        assertTrue(allGone);
        assertEquals(0, os.started.size());
    }

    @Test
    void namesAreUniqueAndRenameKeepsTheService() throws Exception {
        Service a = supervisor.add(withLogger("a"));
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
}
