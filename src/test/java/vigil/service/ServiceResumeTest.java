package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;

/**
 * {@code daemon-reexec} as the state machines see it: a snapshot taken in one supervisor and resumed in another
 * gives the same service, running the same process, and it goes on as if nothing had happened.
 */
class ServiceResumeTest {
    private static final Path DIR = Path.of("/srv/web");

    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses oldOs = new FakeProcesses();
    private final FakeProcesses newOs = new FakeProcesses();
    private final RecordingListener listener = new RecordingListener();
    private final Supervisor before = new Supervisor(oldOs, new FakeUnitOs(), clock, listener, listener);
    private final Supervisor after = new Supervisor(newOs, new FakeUnitOs(), clock, listener, listener);

    private static DirectorySpec spec() {
        return DirectorySpec.simple("web", DIR, new Command(DIR.resolve("run"), List.of("./run"), DIR, Map.of()));
    }

    private static DirectorySpec withLogger() {
        DirectorySpec s = spec();
        DirectorySpec logger = DirectorySpec.simple("web/log", DIR.resolve("log"),
                new Command(DIR.resolve("log/run"), List.of("./run"), DIR.resolve("log"), Map.of()));
        return new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), s.startsDown(), s.readiness(),
                s.stop(), s.restart(), Optional.of(logger));
    }

    private static ServiceSnapshot ready(Service service) {
        return assertInstanceOf(Service.Result.Ready.class, service.snapshot()) instanceof Service.Result.Ready<?> r
                ? (ServiceSnapshot) r.value() : null;
    }

    private Service resumeInNew(DirectorySpec spec, Service old) throws SpawnException {
        after.resume(spec, null, newOs.openLog("web", Optional.empty()), ready(old), Optional.empty());
        return after.get(spec.name()).orElseThrow();
    }

    @Test
    void aRunningServiceKeepsItsPidUptimeAndCountsAndIsRestartedWhenItDies() throws Exception {
        before.add(spec());
        FakeProcess run = oldOs.last();
        run.execSucceeded();
        clock.advance(Duration.ofSeconds(5));
        run.exit(1);
        FakeProcess second = oldOs.last();
        second.execSucceeded();
        Service old = before.get("web").orElseThrow();
        long since = ((ServiceState.Up) old.state()).sinceNanos();

        DirectorySpec sameDirectory = spec();
        after.resume(sameDirectory, null, newOs.openLog("web", Optional.empty()), ready(old), Optional.empty());
        Service resumed = after.get("web").orElseThrow();
        assertEquals(second.pid, resumed.pid());
        assertEquals(1, resumed.restarts());
        assertEquals(Optional.of(ExitStatus.exited(1)), resumed.lastExit());
        ServiceState.Up up = assertInstanceOf(ServiceState.Up.class, resumed.state());
        assertEquals(since, up.sinceNanos());
        assertTrue(resumed.ready());
        assertTrue(newOs.started.isEmpty(), "nothing was started anew");

        // The resumed process's death goes to the new service, which restarts it.
        clock.advance(Duration.ofSeconds(3));
        newOs.resumed.getFirst().killedBy(Signals.SIGKILL);
        assertEquals(1, newOs.started.size());
        assertEquals(newOs.last().pid, resumed.pid());
        assertEquals(2, resumed.restarts());
        // Signals go to the resumed process.
        resumed.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), newOs.last().signals);
    }

    @Test
    void aBackoffEndsWhenItWasDueNotAfreshAfterTheExec() throws Exception {
        before.add(spec());
        oldOs.last().execSucceeded();
        oldOs.last().exit(1); // a short run: restarted after the first backoff, 1 s
        Service old = before.get("web").orElseThrow();
        assertInstanceOf(ServiceState.BackingOff.class, old.state());
        clock.advance(Duration.ofMillis(600));

        Service resumed = resumeInNew(spec(), old);
        assertInstanceOf(ServiceState.BackingOff.class, resumed.state());
        clock.advance(Duration.ofMillis(399));
        assertTrue(newOs.started.isEmpty());
        clock.advance(Duration.ofMillis(1));
        assertEquals(1, newOs.started.size(), "restarted 1 s after the exit, as it would have been");
    }

    @Test
    void aServiceWantedDownAndPausedStaysSo() throws Exception {
        before.add(spec());
        oldOs.last().execSucceeded();
        Service old = before.get("web").orElseThrow();
        old.signal(Signals.SIGSTOP);
        old.stop();
        oldOs.last().exit(0);
        old.markPaused(true);
        Service resumed = resumeInNew(spec(), old);
        assertEquals(Want.DOWN, resumed.want());
        assertTrue(resumed.paused());
        assertInstanceOf(ServiceState.Down.class, resumed.state());
        assertTrue(newOs.started.isEmpty() && newOs.resumed.isEmpty());
    }

    @Test
    void aServiceBetweenTwoStatesGivesNoSnapshot() throws Exception {
        before.add(spec());
        Service old = before.get("web").orElseThrow();
        assertEquals("web: it is starting", busy(old), "its exec is not done");
        oldOs.last().execSucceeded();
        old.stop();
        assertEquals("web: it is stopping", busy(old));
        oldOs.last().exit(0);
        old.start();
        oldOs.last().execSucceeded();
        old.exit();
        assertEquals("web: it is stopping", busy(old));
    }

    private static String busy(Service service) {
        return assertInstanceOf(Service.Result.Busy.class, service.snapshot()) instanceof Service.Result.Busy<?> b
                ? b.why() : null;
    }

    @Test
    void aPairResumesBothSidesAndTheLoggerStillDrainsAfterItsService() throws Exception {
        before.add(withLogger());
        oldOs.started.forEach(FakeProcess::execSucceeded);
        Service main = before.get("web").orElseThrow();
        Service logger = before.get("web/log").orElseThrow();
        FakeProcesses.FakePipe pipe = newOs.openPipe() instanceof FakeProcesses.FakePipe p ? p : null;
        after.resume(withLogger(), pipe, newOs.openLog("web/log", Optional.empty()), ready(main),
                Optional.of(ready(logger)));
        assertEquals(main.pid(), after.get("web").orElseThrow().pid());
        assertEquals(logger.pid(), after.get("web/log").orElseThrow().pid());

        after.remove("web");
        FakeProcess resumedMain = newOs.resumed.stream().filter(p -> p.pid == main.pid()).findFirst().orElseThrow();
        resumedMain.exit(0);
        assertTrue(pipe.writeEndClosed, "the logger's pipe is closed on its write end once the service is gone");
        assertTrue(newOs.resumed.stream().filter(p -> p.pid == logger.pid()).findFirst().orElseThrow()
                .signals.isEmpty(), "the logger drains to EOF rather than being signalled");
    }

    @Test
    void aProcessThatIsNoLongerAChildFailsTheResumeAndLeavesNothingBehind() throws Exception {
        before.add(spec());
        oldOs.last().execSucceeded();
        Service old = before.get("web").orElseThrow();
        newOs.notChildren.add(old.pid());
        assertThrows(SpawnException.class, () -> resumeInNew(spec(), old));
        assertTrue(after.get("web").isEmpty());
    }
}
