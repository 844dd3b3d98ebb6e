package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.StopPolicy;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Kill;
import vigil.model.UnitSpec.KillMode;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Restart;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;

/**
 * Stops of services that have a cgroup: KillMode= for units, the clean-up after a main process's death, what a
 * service directory's run leaves behind, and the stop timeout that ends every stop; fake processes, fake cgroups,
 * a virtual clock.
 */
class CgroupStopTest {
    private static final Path SOURCE = Path.of("/etc/systemd/system/web.service");
    /** A double-forked, setsid()'d daemon of the service: in its cgroup, but no process Vigil started. */
    private static final int ESCAPED = 4242;

    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeUnitOs unitOs = new FakeUnitOs();
    private final List<String> lines = new ArrayList<>();
    private final UnitListener listener = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {}

        @Override
        public void event(UnitService unit, UnitEvent event) {
            lines.add(event.describe());
        }

        @Override
        public void removed(UnitService unit) {}
    };

    CgroupStopTest() {
        os.trackInCgroups();
    }

    private static UnitCommand cmd(String line) {
        List<String> words = Arrays.asList(line.split(" "));
        Command command = new Command(Path.of(words.getFirst()), words, Path.of("/"), Map.of());
        return new UnitCommand(command, env -> words, false);
    }

    private static UnitSpec.Builder unit(KillMode mode) {
        return UnitSpec.builder("web.service", SOURCE).commands(Phase.START, List.of(cmd("/bin/web")))
                .timeouts(Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofSeconds(10)), Optional.empty())
                .kill(new Kill(mode, Signals.SIGTERM, Optional.empty(), false, true, Signals.SIGKILL, 6));
    }

    private UnitService started(UnitSpec.Builder spec) {
        UnitService unit = UnitService.create(spec.build(), os, unitOs, clock, listener, Optional.empty());
        unit.start();
        return unit;
    }

    private FakeControlGroup group() {
        return os.group("web.service");
    }

    private void advance(long seconds) {
        clock.advance(Duration.ofSeconds(seconds));
    }

    @Test
    void everyProcessOfAUnitStartsInItsCgroup() {
        started(unit(KillMode.CONTROL_GROUP).commands(Phase.START_PRE, List.of(cmd("/bin/pre"))));
        os.last("/bin/pre").exit(0);
        assertEquals(List.of(Path.of("/cgroup/vigil.slice/web.service")), os.last("/bin/pre").request.cgroups());
        assertEquals(List.of(Path.of("/cgroup/vigil.slice/web.service")), os.last("/bin/web").request.cgroups());
    }

    @Test
    void controlGroupSignalsTheWholeCgroupAndWaitsForItToEmpty() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        assertEquals(List.of("15", "18"), group().calls, "TERM then CONT to every process of the cgroup");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.STOP_SIGTERM, web.state(), "the daemon it forked is still in the cgroup");
        group().leftovers.remove(ESCAPED);
        group().deliver();
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void controlGroupKillsWhatIgnoresTermWithCgroupKillAfterTheTimeout() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        group().leftovers.add(ESCAPED);
        web.stop();
        os.last("/bin/web").killedBy(Signals.SIGTERM);
        advance(9);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        advance(1);
        assertEquals(UnitState.STOP_SIGKILL, web.state());
        assertEquals("kill", group().calls.getLast(), "the final SIGKILL is one cgroup.kill");
        group().deliver();
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(UnitState.Result.TIMEOUT, web.result());
    }

    @Test
    void aStopEndsEvenIfTheCgroupNeverEmpties() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        group().leftovers.add(ESCAPED);
        web.stop();
        os.last("/bin/web").killedBy(Signals.SIGTERM);
        advance(10);
        group().leftovers.add(ESCAPED + 1); // in uninterruptible sleep: even SIGKILL does not end it
        group().deliver();
        // stop-sigkill, then final-sigterm and final-sigkill (after ExecStopPost=, as systemd): each its timeout.
        advance(30);
        assertTrue(web.state().inactive(), "the stop gave up waiting: " + web.state());
    }

    @Test
    void mixedSendsTermToTheMainProcessOnlyAndKillsTheRestOnceItIsGone() {
        UnitService web = started(unit(KillMode.MIXED));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        assertEquals(List.of(), group().calls, "the rest of the cgroup gets no TERM");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(List.of("kill"), group().calls, "then SIGKILL to the rest at once");
        assertEquals(UnitState.STOP_SIGKILL, web.state());
        group().deliver();
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void processSignalsTheMainProcessAndLeavesTheRest() {
        UnitService web = started(unit(KillMode.PROCESS));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(List.of(), group().calls);
        assertTrue(group().leftovers.contains(ESCAPED));
    }

    @Test
    void noneSignalsNothing() {
        UnitService web = started(unit(KillMode.NONE));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        assertEquals(List.of(), main.signals);
        assertEquals(List.of(), group().calls);
    }

    @Test
    void theMainProcessDeathStopsTheRestBeforeStopPostAndTheRestart() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP).restart(Restart.ALWAYS)
                .restartSec(Duration.ofMillis(100)).commands(Phase.STOP_POST, List.of(cmd("/bin/post"))));
        group().leftovers.add(ESCAPED);
        os.last("/bin/web").killedBy(Signals.SIGKILL);
        assertEquals(List.of("15", "18"), group().calls, "what the dead daemon left gets TERM");
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(0, os.count("/bin/post"), "ExecStopPost= waits until the cgroup is empty");
        group().leftovers.remove(ESCAPED);
        group().deliver();
        os.last("/bin/post").exit(0);
        assertEquals(UnitState.AUTO_RESTART, web.state());
        clock.advance(Duration.ofMillis(100));
        assertEquals(2, os.count("/bin/web"));
    }

    @Test
    void mainPidIsTrustedWhenTheProcessIsInTheCgroup() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP).type(UnitSpec.Type.NOTIFY)
                .notifyAccess(UnitSpec.NotifyAccess.ALL));
        FakeProcess main = os.last("/bin/web");
        unitOs.existing.add(ESCAPED);
        unitOs.existing.add(ESCAPED + 1);
        group().leftovers.add(ESCAPED);
        web.notify(main.pid, 65534, Map.of("MAINPID", Integer.toString(ESCAPED + 1)));
        assertEquals(main.pid, web.mainPid(), "a pid outside the cgroup is refused");
        web.notify(main.pid, 65534, Map.of("MAINPID", Integer.toString(ESCAPED)));
        assertEquals(ESCAPED, web.mainPid());
    }

    @Test
    void killReachesEveryProcessOfTheUnitByDefault() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        assertTrue(web.signalAll(Signals.SIGHUP));
        assertEquals(List.of(Signals.SIGHUP), main.signals, "the main process by its pidfd");
        assertEquals(List.of("1"), group().calls, "the rest through the cgroup");
        assertTrue(web.signalAll(Signals.SIGKILL));
        assertEquals("kill", group().calls.getLast(), "SIGKILL is one cgroup.kill");
    }

    @Test
    void killStillReachesAUnitThatIsStopping() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        group().leftovers.add(ESCAPED);
        web.stop();
        os.last("/bin/web").killedBy(Signals.SIGTERM);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertTrue(web.signalAll(Signals.SIGKILL), "what ignores TERM can be killed at once");
        group().deliver();
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void aForcedStopOfAStoppingUnitKillsItsWholeCgroupAtOnce() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        assertEquals(UnitState.STOP_SIGTERM, web.state(), "the main process ignores TERM");
        advance(1);
        web.forceStop();
        assertEquals("kill", group().calls.getLast(), "one cgroup.kill, not 9 s more of waiting");
        assertEquals(Signals.SIGKILL, main.signals.getLast());
        assertEquals(UnitState.STOP_SIGKILL, web.state());
        main.killedBy(Signals.SIGKILL);
        group().deliver();
        assertTrue(web.state().inactive(), "the stop ended with no more time passing: " + web.state());
    }

    @Test
    void aForcedStopKillsTheWholeCgroupWhateverKillModeSays() {
        UnitService web = started(unit(KillMode.PROCESS));
        FakeProcess main = os.last("/bin/web");
        group().leftovers.add(ESCAPED);
        web.stop();
        web.forceStop();
        assertEquals(List.of("kill"), group().calls, "KillMode=process left the rest alone; a forced stop does not");
        main.killedBy(Signals.SIGKILL);
        assertEquals(UnitState.STOP_SIGKILL, web.state(), "it waits for the cgroup to empty");
        group().deliver();
        assertTrue(web.state().inactive(), web.state().toString());
    }

    @Test
    void aForcedStopOfAUnitInExecStopPostEndsIt() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP).commands(Phase.STOP_POST, List.of(cmd("/bin/post"))));
        web.stop();
        os.last("/bin/web").killedBy(Signals.SIGTERM);
        FakeProcess post = os.last("/bin/post");
        assertEquals(UnitState.STOP_POST, web.state(), "ExecStopPost= hangs");
        web.forceStop();
        assertEquals(UnitState.FINAL_SIGKILL, web.state());
        assertEquals(Signals.SIGKILL, post.signals.getLast());
        post.killedBy(Signals.SIGKILL);
        group().deliver();
        assertTrue(web.state().inactive(), web.state().toString());
    }

    @Test
    void aForcedStopOfARunningUnitIsAnOrdinaryStop() {
        UnitService web = started(unit(KillMode.CONTROL_GROUP));
        web.forceStop();
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(List.of("15", "18"), group().calls, "TERM first, as any stop");
    }

    // ---- service directories ----

    @Test
    void aDirectoryWhoseRunIsGoneCanStillBeKilledWhole() throws Exception {
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(30), Duration.ofSeconds(5)));
        FakeControlGroup group = os.group("web");
        group.leftovers.add(ESCAPED);
        web.stop();
        os.last("./run").killedBy(Signals.SIGTERM);
        assertEquals(1, web.signalOthers(Signals.SIGKILL));
        assertEquals("kill", group.calls.getLast());
    }

    private final RecordingListener dirListener = new RecordingListener();
    private final Supervisor supervisor = new Supervisor(os, unitOs, clock, dirListener, dirListener);

    private Service directory(StopPolicy stop) throws SpawnException {
        Path dir = Path.of("/srv/web");
        DirectorySpec s = DirectorySpec.simple("web", dir, new Command(dir.resolve("run"), List.of("./run"), dir,
                Map.of()));
        supervisor.add(new DirectorySpec(s.name(), s.directory(), s.run(), s.finish(), s.startsDown(),
                s.readiness(), stop, s.restart(), s.logger()));
        return supervisor.get("web").orElseThrow();
    }

    @Test
    void aDirectoryLeavesNothingBehindAfterItsRunIsStopped() throws Exception {
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(3), Duration.ofSeconds(5)));
        FakeProcess run = os.last("./run");
        assertEquals(List.of(Path.of("/cgroup/vigil.slice/web")), run.request.cgroups());
        FakeControlGroup group = os.group("web");
        group.leftovers.add(ESCAPED);
        web.stop();
        run.killedBy(Signals.SIGTERM);
        assertInstanceOf(ServiceState.Down.class, web.state());
        assertEquals(List.of("15", "18"), group.calls, "the setsid()'d grandchild gets the down-signal");
        advance(3);
        assertEquals("kill", group.calls.getLast(), "and KILL after timeout-kill");
    }

    @Test
    void aRunThatIgnoresTheDownSignalIsKilledWithItsCgroupAfterTheDefaultTimeout() throws Exception {
        os.defaultStopTimeout = Duration.ofSeconds(7);
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ZERO, Duration.ofSeconds(5)));
        web.stop();
        advance(6);
        assertEquals(List.of(), os.group("web").calls);
        advance(1);
        assertEquals(List.of("kill"), os.group("web").calls, "no timeout-kill: the daemon's default stop timeout");
    }

    @Test
    void aNewRunNeverSharesItsCgroupWithWhatTheLastStopLeft() throws Exception {
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(30), Duration.ofSeconds(5)));
        FakeControlGroup group = os.group("web");
        group.leftovers.add(ESCAPED);
        web.stop();
        os.last("./run").killedBy(Signals.SIGTERM);
        web.start();
        assertEquals("kill", group.calls.getLast(), "the leftover is killed before the new run starts");
        int calls = group.calls.size();
        advance(30);
        assertEquals(calls, group.calls.size(), "and the old stop's timer does not kill the new run");
    }

    @Test
    void aForcedStopOfAStoppingDirectoryKillsItsCgroupAtOnce() throws Exception {
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(600), Duration.ofSeconds(5)));
        FakeControlGroup group = os.group("web");
        group.leftovers.add(ESCAPED);
        web.stop();
        assertTrue(web.stopping(), "run ignores the down-signal");
        web.forceStop();
        assertEquals("kill", group.calls.getLast(), "KILL to the whole cgroup now, not after 600 s");
        int calls = group.calls.size();
        group.deliver();
        os.last("./run").killedBy(Signals.SIGKILL);
        assertInstanceOf(ServiceState.Down.class, web.state());
        advance(600);
        assertEquals(calls, group.calls.size(), "nothing is left for the old timer to do");
    }

    @Test
    void aForcedStopEndsWhatADirectoryLeftInItsCgroupAtOnce() throws Exception {
        Service web = directory(new StopPolicy(Signals.SIGTERM, Duration.ofSeconds(600), Duration.ofSeconds(5)));
        FakeControlGroup group = os.group("web");
        group.leftovers.add(ESCAPED);
        web.exit();
        os.last("./run").killedBy(Signals.SIGTERM);
        assertTrue(web.stopping(), "the setsid()'d grandchild ignores the down-signal");
        web.forceStop();
        assertEquals("kill", group.calls.getLast());
    }
}
