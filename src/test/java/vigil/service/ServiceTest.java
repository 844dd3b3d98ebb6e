package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.ServiceEvent.Next;

/** The per-service state machine against fake processes and a virtual clock. */
class ServiceTest {
    private static final Path DIR = Path.of("/srv/web");

    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final RecordingListener listener = new RecordingListener();
    private final Supervisor supervisor = new Supervisor(os, new FakeUnitOs(), clock, listener, listener);

    private static Command cmd(String argv0) {
        return new Command(DIR.resolve(argv0.substring(2)), List.of(argv0), DIR, Map.of());
    }

    private static DirectorySpec spec() {
        return DirectorySpec.simple("web", DIR, cmd("./run"));
    }

    private static DirectorySpec withFinish(DirectorySpec s) {
        return new DirectorySpec(s.name(), s.directory(), s.run(), Optional.of(cmd("./finish")), s.startsDown(),
                s.readiness(), s.stop(), s.restart(), s.logger());
    }

    private static DirectorySpec withStop(DirectorySpec s, StopPolicy stop) {
        return new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), s.startsDown(), s.readiness(), stop,
                s.restart(), s.logger());
    }

    private static DirectorySpec withReadiness(DirectorySpec s, Readiness r) {
        return new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), s.startsDown(), r, s.stop(),
                s.restart(), s.logger());
    }

    private static DirectorySpec startingDown(DirectorySpec s) {
        return new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), true, s.readiness(), s.stop(),
                s.restart(), s.logger());
    }

    private static DirectorySpec withRestart(DirectorySpec s, RestartPolicy r) {
        return new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), s.startsDown(), s.readiness(),
                s.stop(), r, s.logger());
    }

    private Service add(DirectorySpec spec) throws SpawnException {
        supervisor.add(spec);
        return supervisor.get(spec.name()).orElseThrow();
    }

    private void advance(long millis) {
        clock.advance(Duration.ofMillis(millis));
    }

    @Test
    void startsAtOnceAndReportsThePid() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        assertInstanceOf(ServiceState.Up.class, web.state());
        assertEquals(run.pid, web.pid());
        assertFalse(web.ready(), "not ready while the program is still to be executed");
        run.execSucceeded();
        assertTrue(web.ready(), "without a readiness protocol a running service is ready");
        assertEquals(List.of("web: started (pid " + run.pid + ")"), listener.lines);
        assertTrue(run.request.newSession());
    }

    @Test
    void aRunOfAtLeastOneSecondRestartsAtOnce() throws Exception {
        Service web = add(spec());
        advance(1000);
        os.last("./run").exit(0);
        assertEquals(2, os.count("./run"), "restarted in the same instant, with no timer");
        assertEquals(1, web.restarts());
        assertEquals("web: exited 0 after 1s; restarting", listener.lines.get(1));
    }

    @Test
    void aShortRunBacksOffDoublingToTheCapAndAStableRunResetsIt() throws Exception {
        add(withRestart(spec(), RestartPolicy.DEFAULT.withMaxBackoff(Duration.ofSeconds(4))));
        long[] expectedDelays = {1000, 2000, 4000, 4000};
        for (long delay : expectedDelays) {
            advance(200);
            long before = os.count("./run");
            os.last("./run").exit(1);
            advance(delay - 1);
            assertEquals(before, os.count("./run"), "not restarted before " + delay + " ms");
            advance(1);
            assertEquals(before + 1, os.count("./run"), "restarted after " + delay + " ms");
        }
        assertTrue(listener.lines.contains("web: exited 1 after 0.2s; restarting in 4s"), listener.lines.toString());
        advance(1500);
        os.last("./run").exit(1);
        assertEquals(os.count("./run"), 6, "a stable run restarts at once");
        advance(100);
        os.last("./run").exit(1);
        advance(999);
        assertEquals(6, os.count("./run"));
        advance(1);
        assertEquals(7, os.count("./run"), "and the backoff starts again from 1 s");
    }

    @Test
    void finishGetsRunitsArgumentsAndRestartFollowsIt() throws Exception {
        Service web = add(withFinish(spec()));
        advance(2000);
        os.last("./run").exit(3);
        FakeProcess finish = os.last("./finish");
        assertEquals(List.of("./finish", "3", "0"), finish.argv());
        assertEquals(ServiceState.Runit.FINISH, web.state().runitState());
        assertEquals(finish.pid, web.pid(), "while finish runs, its pid is the service's pid");
        assertEquals(1, os.count("./run"), "no restart while finish runs");
        finish.exit(0);
        assertEquals(2, os.count("./run"));

        advance(2000);
        os.last("./run").killedBy(Signals.SIGKILL);
        assertEquals(List.of("./finish", "-1", "9"), os.last("./finish").argv());
    }

    @Test
    void finishExiting125KeepsTheServiceDown() throws Exception {
        Service web = add(withFinish(spec()));
        advance(5000);
        os.last("./run").exit(1);
        os.last("./finish").exit(125);
        advance(120_000);
        assertEquals(1, os.count("./run"));
        assertEquals(Want.DOWN, web.want());
        assertInstanceOf(ServiceState.Down.class, web.state());
        assertEquals("web: finish exited 125 (stay down); down", listener.lines.getLast());
    }

    @Test
    void finishIsKilledAfterTimeoutFinish() throws Exception {
        add(withFinish(spec()));
        advance(5000);
        os.last("./run").exit(0);
        FakeProcess finish = os.last("./finish");
        advance(4999);
        assertEquals(List.of(), finish.signals);
        advance(1);
        assertEquals(List.of(Signals.SIGKILL), finish.signals);
        finish.killedBy(Signals.SIGKILL);
        assertEquals(2, os.count("./run"), "the run lasted 5 s, so it restarts at once after finish");
    }

    @Test
    void aDownFileMeansNotStartedUntilAsked() throws Exception {
        Service web = add(startingDown(spec()));
        assertEquals(0, os.count("./run"));
        assertEquals(Want.DOWN, web.want());
        web.start();
        assertEquals(1, os.count("./run"));
        assertEquals(Want.UP, web.want());
    }

    @Test
    void stopSendsTheDownSignalThenContAndDoesNotRestart() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        web.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), run.signals);
        assertTrue(web.gotTerm());
        assertInstanceOf(ServiceState.Stopping.class, web.state());
        run.killedBy(Signals.SIGTERM);
        advance(60_000);
        assertEquals(1, os.count("./run"));
        assertInstanceOf(ServiceState.Down.class, web.state());
        assertFalse(web.gotTerm(), "cleared when the process exits");
        assertEquals(0, clock.pendingTimers());
    }

    @Test
    void aCustomDownSignalAndTimeoutKill() throws Exception {
        Service web = add(withStop(spec(),
                new StopPolicy(Signals.SIGHUP, Duration.ofSeconds(3), Duration.ofSeconds(5))));
        FakeProcess run = os.last("./run");
        web.stop();
        assertEquals(List.of(Signals.SIGHUP, Signals.SIGCONT), run.signals);
        assertFalse(web.gotTerm());
        advance(2999);
        assertEquals(2, run.signals.size());
        advance(1);
        assertEquals(Signals.SIGKILL, run.signals.getLast());
        run.killedBy(Signals.SIGKILL);
        assertInstanceOf(ServiceState.Down.class, web.state());
    }

    @Test
    void noKillTimerFiresAfterTheProcessExitedInTime() throws Exception {
        Service web = add(withStop(spec(),
                new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(3), Duration.ofSeconds(5))));
        FakeProcess run = os.last("./run");
        web.stop();
        run.exit(0);
        web.start();
        FakeProcess second = os.last("./run");
        advance(10_000);
        assertEquals(List.of(), second.signals, "the first stop's KILL timer must not hit the new process");
    }

    @Test
    void aStopWhoseSignalIsRefusedIsReportedAndStillKillsAfterTimeoutKill() throws Exception {
        Service web = add(withStop(spec(), new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(3),
                Duration.ofSeconds(5))));
        FakeProcess run = os.last("./run");
        run.refusesSignals = true;
        web.stop();
        assertInstanceOf(ServiceState.Stopping.class, web.state(), "stopping, though the signal did not get through");
        assertEquals(Want.DOWN, web.want());
        assertFalse(web.gotTerm());
        assertEquals(List.of(new ServiceEvent.SignalRefused(Signals.SIGTERM, run.pid, "Operation not permitted")),
                listener.eventsOf(ServiceEvent.SignalRefused.class), "one refusal: no CONT follows a TERM not sent");
        assertEquals(List.of(), listener.eventsOf(ServiceEvent.Signalled.class));
        assertEquals("web: cannot send SIGTERM to pid " + run.pid + ": Operation not permitted",
                listener.lines.getLast());

        run.refusesSignals = false;
        advance(3000);
        assertEquals(List.of(Signals.SIGKILL), run.signals, "timeout-kill was armed all the same");
        run.killedBy(Signals.SIGKILL);
        assertInstanceOf(ServiceState.Down.class, web.state());
    }

    @Test
    void aRefusedSignalIsReportedAndSetsNoFlag() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        run.refusesSignals = true;
        assertEquals(Optional.of("Operation not permitted"), web.signal(Signals.SIGSTOP));
        assertEquals(Optional.of("Operation not permitted"), web.signal(Signals.SIGTERM));
        assertFalse(web.paused());
        assertFalse(web.gotTerm());
        assertEquals(List.of(Signals.SIGSTOP, Signals.SIGTERM), listener.eventsOf(ServiceEvent.SignalRefused.class)
                .stream().map(ServiceEvent.SignalRefused::signal).toList());
        assertEquals(List.of(), listener.eventsOf(ServiceEvent.Signalled.class));
        assertInstanceOf(ServiceState.Up.class, web.state());
    }

    @Test
    void onceRunsWithoutRestarting() throws Exception {
        Service web = add(startingDown(spec()));
        web.once();
        assertEquals(Want.DOWN, web.want());
        advance(3000);
        os.last("./run").exit(0);
        advance(60_000);
        assertEquals(1, os.count("./run"));
        assertEquals("web: exited 0 after 3s; down", listener.lines.getLast());
    }

    @Test
    void stopDuringBackoffCancelsTheRestartAndStartCutsItShort() throws Exception {
        Service web = add(spec());
        os.last("./run").exit(1);
        assertInstanceOf(ServiceState.BackingOff.class, web.state());
        web.stop();
        assertInstanceOf(ServiceState.Down.class, web.state());
        advance(5000);
        assertEquals(1, os.count("./run"));

        web.start();
        os.last("./run").exit(1);
        assertInstanceOf(ServiceState.BackingOff.class, web.state());
        web.start();
        assertEquals(3, os.count("./run"), "an explicit start does not wait out the backoff");
    }

    @Test
    void notificationFdReadiness() throws Exception {
        Service web = add(withReadiness(spec(), new Readiness.NotificationFd(3)));
        FakeProcess run = os.last("./run");
        assertEquals(3, run.request.readinessFd().orElseThrow());
        run.execSucceeded();
        assertFalse(web.ready());
        run.reportReady();
        assertTrue(web.ready());
        assertEquals("web: ready", listener.lines.getLast());
        run.reportReady();
        assertEquals(1, listener.eventsOf(ServiceEvent.Ready.class).size(), "readiness is reported once");
    }

    @Test
    void checkProbeRunsUntilItPassesWithGrowingIntervals() throws Exception {
        Service web = add(withReadiness(spec(), new Readiness.Probe(cmd("./check"))));
        os.last("./run").execSucceeded();
        assertFalse(web.ready());
        os.last("./check").exit(1);
        advance(19);
        assertEquals(1, os.count("./check"));
        advance(1);
        assertEquals(2, os.count("./check"));
        os.last("./check").exit(1);
        advance(39);
        assertEquals(2, os.count("./check"));
        advance(1);
        os.last("./check").exit(0);
        assertTrue(web.ready());
        advance(10_000);
        assertEquals(3, os.count("./check"), "no probing once ready");
    }

    @Test
    void aProbeStillRunningWhenTheServiceDiesIsKilled() throws Exception {
        add(withReadiness(spec(), new Readiness.Probe(cmd("./check"))));
        FakeProcess check = os.last("./check");
        os.last("./run").exit(1);
        assertEquals(List.of(Signals.SIGKILL), check.signals);
        check.killedBy(Signals.SIGKILL);
        assertEquals(0, listener.eventsOf(ServiceEvent.Ready.class).size());
    }

    @Test
    void aFailedSpawnIsRetriedWithBackoff() throws Exception {
        os.failNextStart("fork: Resource temporarily unavailable");
        Service web = add(spec());
        assertInstanceOf(ServiceState.BackingOff.class, web.state());
        assertEquals("web: cannot start: fork: Resource temporarily unavailable; retrying in 1s",
                listener.lines.getLast());
        advance(1000);
        assertInstanceOf(ServiceState.Up.class, web.state());
    }

    @Test
    void aProbeThatPassesBeforeTheExecCountsOnlyOnceTheProgramRuns() throws Exception {
        Service web = add(withReadiness(spec(), new Readiness.Probe(cmd("./check"))));
        os.last("./check").exit(0);
        assertFalse(web.ready(), "what passed the check is not this service's program yet");
        os.last("./run").execSucceeded();
        assertTrue(web.ready());
    }

    @Test
    void aFailedExecNeverCountsAsUp() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        run.observer.execFailed(2, "exec ./run: No such file or directory");
        assertFalse(web.execed());
        assertFalse(web.ready());
        run.exit(111);
        assertFalse(web.ready());
    }

    @Test
    void wantExitSendsNothingAndForgetsTheServiceOnceItsProcessHasEnded() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        web.wantExit();
        assertEquals(List.of(), run.signals, "a control/t script stopped it its own way");
        assertEquals(List.of(), listener.removed);
        web.wake();
        assertEquals(List.of(Signals.SIGCONT), run.signals);
        run.exit(0);
        assertEquals(List.of("web"), listener.removed);
        assertEquals(1, os.count("./run"), "not restarted");
    }

    @Test
    void thePausedFlagCanChangeWithoutASignal() throws Exception {
        Service web = add(spec());
        web.markPaused(true);
        assertTrue(web.paused());
        web.markPaused(false);
        assertFalse(web.paused());
        assertEquals(List.of(), os.last("./run").signals);
    }

    @Test
    void controlURunsBeforeEveryRun() throws Exception {
        Service web = add(spec());
        Path controlU = web.spec().directory().toAbsolutePath().resolve("control/u");
        assertEquals(Optional.of(controlU), os.last("./run").request.before());
        advance(2000);
        os.last("./run").exit(0);
        assertEquals(Optional.of(controlU), os.last("./run").request.before(), "a restart runs it too");
    }

    @Test
    void execFailureIsReportedAndBacksOff() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        run.observer.execFailed(13, "exec ./run: Permission denied");
        run.exit(111);
        assertEquals(List.of("web: started (pid " + run.pid + ")", "web: cannot start: exec ./run: Permission denied",
                "web: exited 111 after 0s; restarting in 1s"), listener.lines);
        assertInstanceOf(ServiceState.BackingOff.class, web.state());
    }

    @Test
    void lateEventsOfAnOldProcessAreIgnored() throws Exception {
        Service web = add(withReadiness(spec(), new Readiness.NotificationFd(4)));
        advance(2000);
        FakeProcess first = os.last("./run");
        first.exit(0);
        FakeProcess second = os.last("./run");
        first.reportReady();
        assertFalse(web.ready());
        assertEquals(second.pid, web.pid());
    }

    @Test
    void signalsReachOnlyARunningProcessAndSetFlags() throws Exception {
        Service web = add(spec());
        FakeProcess run = os.last("./run");
        web.signal(Signals.SIGSTOP);
        assertTrue(web.paused());
        web.signal(Signals.SIGCONT);
        assertFalse(web.paused());
        web.signal(Signals.SIGTERM);
        assertTrue(web.gotTerm());
        assertEquals(List.of(Signals.SIGSTOP, Signals.SIGCONT, Signals.SIGTERM), run.signals);
        run.killedBy(Signals.SIGTERM);
        assertEquals(List.of(Signals.SIGSTOP, Signals.SIGCONT, Signals.SIGTERM), run.signals);
        assertEquals("web: killed by SIGTERM after 0s; restarting in 1s", listener.lines.getLast());
    }

    @Test
    void exitNextLabelsDescribeTheOutcome() {
        assertEquals("restarting in 4s", new Next.Restart(Duration.ofSeconds(4)).describe());
        assertEquals("restarting in 1m30s", new Next.Restart(Duration.ofSeconds(90)).describe());
    }
}
