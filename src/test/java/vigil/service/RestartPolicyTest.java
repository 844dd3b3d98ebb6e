package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.RestartPolicy;
import vigil.model.RestartPolicy.When;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;

/** Restart rules beyond runit's "always": on-failure and never, and the operator's restart command. */
class RestartPolicyTest {
    private static final Path DIR = Path.of("/srv/job");

    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final RecordingListener listener = new RecordingListener();
    private final Supervisor supervisor = new Supervisor(os, new FakeUnitOs(), clock, listener, listener);

    private static Command cmd(String argv0) {
        return new Command(DIR.resolve(argv0.substring(2)), List.of(argv0), DIR, Map.of());
    }

    private Service add(When when, boolean withFinish) throws SpawnException {
        DirectorySpec s = DirectorySpec.simple("job", DIR, cmd("./run"));
        supervisor.add(new DirectorySpec(s.name(), s.directory(), s.run(),
                withFinish ? Optional.of(cmd("./finish")) : Optional.empty(), false, s.readiness(), s.stop(),
                RestartPolicy.DEFAULT.withWhen(when), Optional.empty()));
        return supervisor.get(s.name()).orElseThrow();
    }

    private void advance(long millis) {
        clock.advance(Duration.ofMillis(millis));
    }

    @Test
    void onFailureRestartsAfterANonZeroExit() throws Exception {
        Service job = add(When.ON_FAILURE, false);
        advance(2000);
        os.last("./run").exit(2);
        assertEquals(2, os.count("./run"));
        assertEquals(Want.UP, job.want());
    }

    @Test
    void onFailureRestartsAfterAKillButNotAfterTerm() throws Exception {
        Service job = add(When.ON_FAILURE, false);
        advance(2000);
        os.last("./run").killedBy(Signals.SIGKILL);
        assertEquals(2, os.count("./run"), "SIGKILL is a failure");
        advance(2000);
        os.last("./run").killedBy(Signals.SIGTERM);
        assertEquals(2, os.count("./run"), "SIGTERM is a clean end");
        assertInstanceOf(ServiceState.Down.class, job.state());
        assertEquals(Want.DOWN, job.want());
    }

    @Test
    void onFailureLeavesASuccessfulExitDown() throws Exception {
        Service job = add(When.ON_FAILURE, false);
        advance(300);
        os.last("./run").exit(0);
        advance(60_000);
        assertEquals(1, os.count("./run"), "no restart, not even after a backoff");
        assertInstanceOf(ServiceState.Down.class, job.state());
        assertEquals("job: exited 0 after 0.3s; down", listener.lines.getLast());
    }

    @Test
    void onFailureJudgesRunsExitNotFinishs() throws Exception {
        Service job = add(When.ON_FAILURE, true);
        advance(2000);
        os.last("./run").exit(0);
        os.last("./finish").exit(1);
        assertEquals(1, os.count("./run"), "run succeeded; finish failing does not make it a failure");
        assertInstanceOf(ServiceState.Down.class, job.state());
    }

    @Test
    void neverRestartsEvenAfterAFailure() throws Exception {
        Service job = add(When.NEVER, false);
        advance(2000);
        os.last("./run").exit(1);
        advance(120_000);
        assertEquals(1, os.count("./run"));
        assertEquals(Want.DOWN, job.want());
        assertEquals(1, job.lastExit().orElseThrow().code());
    }

    @Test
    void startAfterAFinalExitRunsItAgain() throws Exception {
        Service job = add(When.NEVER, false);
        os.last("./run").exit(1);
        job.start();
        assertEquals(2, os.count("./run"));
        assertEquals(Want.UP, job.want());
    }

    @Test
    void restartStopsAndStartsAtOnceWithoutBackoff() throws Exception {
        Service job = add(When.ALWAYS, false);
        FakeProcess first = os.last("./run");
        advance(100);
        job.restart();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), first.signals);
        assertEquals(1, os.count("./run"), "the new run waits for the old one to exit");
        first.killedBy(Signals.SIGTERM);
        assertEquals(2, os.count("./run"), "a run of 0.1 s would back off; a requested restart does not");
        assertInstanceOf(ServiceState.Up.class, job.state());
    }

    @Test
    void restartOverridesNeverAndStartsADownService() throws Exception {
        Service job = add(When.NEVER, false);
        job.restart();
        os.last("./run").killedBy(Signals.SIGTERM);
        assertEquals(2, os.count("./run"));
        os.last("./run").exit(0);
        assertEquals(2, os.count("./run"), "the policy applies again after the requested restart");
        job.restart();
        assertEquals(3, os.count("./run"), "restart starts a service that is down");
    }

    @Test
    void stopAfterRestartCallsTheRestartOff() throws Exception {
        Service job = add(When.ALWAYS, false);
        job.restart();
        job.stop();
        os.last("./run").killedBy(Signals.SIGTERM);
        assertEquals(1, os.count("./run"));
        assertInstanceOf(ServiceState.Down.class, job.state());
    }

    @Test
    void wantDownSendsNothingAndCancelsABackoff() throws Exception {
        Service job = add(When.ALWAYS, false);
        FakeProcess run = os.last("./run");
        job.wantDown();
        assertEquals(List.of(), run.signals);
        assertEquals(Want.DOWN, job.want());
        run.exit(0);
        assertInstanceOf(ServiceState.Down.class, job.state());

        job.start();
        os.last("./run").exit(1);
        assertInstanceOf(ServiceState.BackingOff.class, job.state());
        job.wantDown();
        assertInstanceOf(ServiceState.Down.class, job.state());
        advance(10_000);
        assertEquals(2, os.count("./run"));
    }
}
