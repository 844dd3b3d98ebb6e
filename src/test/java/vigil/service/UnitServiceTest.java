package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.ExitStatuses;
import vigil.model.UnitSpec.Kill;
import vigil.model.UnitSpec.KillMode;
import vigil.model.UnitSpec.NotifyAccess;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Removal;
import vigil.model.UnitSpec.Restart;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.UnitState.Result;

/** The unit state machine against fake processes and a virtual clock. */
class UnitServiceTest {
    private static final Path SOURCE = Path.of("/etc/systemd/system/web.service");
    private static final Path SOCKET = Path.of("/run/vigil/notify");
    /** The uid of an sd_notify sender whose word is law. */
    private static final int ROOT = 0;
    /** The uid of a service user's (or anyone's) sd_notify sender. */
    private static final int NOBODY = 65534;

    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeUnitOs unitOs = new FakeUnitOs();
    private final List<String> lines = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final UnitListener listener = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {}

        @Override
        public void event(UnitService unit, UnitEvent event) {
            lines.add(event.describe());
        }

        @Override
        public void removed(UnitService unit) {
            removed.add(unit.name());
        }
    };

    /** A command whose words starting with {@code $} are replaced from the environment, as ExecStart= does. */
    private static UnitCommand cmd(String line) {
        boolean ignore = line.startsWith("-");
        List<String> words = Arrays.asList((ignore ? line.substring(1) : line).split(" "));
        Command command = new Command(Path.of(words.getFirst()), words, Path.of("/"), Map.of("LANG", "C"));
        return new UnitCommand(command, env -> words.stream()
                .map(w -> w.startsWith("$") ? env.getOrDefault(w.substring(1), "") : w).toList(), ignore);
    }

    private static UnitSpec.Builder unit(String start) {
        return UnitSpec.builder("web.service", SOURCE).commands(Phase.START, List.of(cmd(start)));
    }

    private UnitService started(UnitSpec.Builder spec) {
        UnitService unit = UnitService.create(spec.build(), os, unitOs, clock, listener, Optional.of(SOCKET));
        unit.start();
        return unit;
    }

    private void advance(long millis) {
        clock.advance(Duration.ofMillis(millis));
    }

    private static Map<String, String> msg(String... keyValues) {
        var m = new java.util.LinkedHashMap<String, String>();
        for (String kv : keyValues) m.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        return m;
    }

    // ---- types ----

    @Test
    void simpleIsRunningOnceForkedAndStopsOnExit() {
        UnitService web = started(unit("/bin/web"));
        FakeProcess main = os.last("/bin/web");
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals("active", web.state().activeState());
        assertEquals(main.pid, web.mainPid());
        main.exit(0);
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Result.SUCCESS, web.result());
        assertEquals(0, web.mainPid());
    }

    @Test
    void execWaitsForExecveToSucceed() {
        UnitService web = started(unit("/bin/web").type(Type.EXEC));
        assertEquals(UnitState.START, web.state());
        os.last().observer.execSucceeded();
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void execThatCannotExecFails() {
        UnitService web = started(unit("/bin/missing").type(Type.EXEC));
        os.last().observer.execFailed(2, "No such file or directory");
        os.last().exit(111);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.EXIT_CODE, web.result());
    }

    @Test
    void forkingFollowsThePidFromPidFile() {
        Path pidFile = Path.of("/run/web.pid");
        UnitService web = started(unit("/usr/sbin/webd").type(Type.FORKING).pidFile(pidFile));
        FakeProcess launcher = os.last("/usr/sbin/webd");
        assertEquals(UnitState.START, web.state());
        assertEquals(launcher.pid, web.controlPid());
        unitOs.existing.add(4242);
        unitOs.orphans.add(4242);
        launcher.exit(0);
        assertEquals(UnitState.START, web.state(), "the PID file is not there yet: keep waiting");
        unitOs.pidFiles.put(pidFile, 4242);
        advance(50);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(4242, web.mainPid());
        unitOs.adopted.get(4242).exit(ExitStatus.exited(3));
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.EXIT_CODE, web.result());
    }

    @Test
    void aKilledForkingDaemonThatCalledSetsidTakesItsWorkersWithItWithoutACgroup() {
        // nginx: the master (from its PID file) leads a session and group of its own, where its workers live.
        Path pidFile = Path.of("/run/nginx.pid");
        UnitService nginx = started(unit("/usr/sbin/nginx").type(Type.FORKING).pidFile(pidFile));
        FakeProcess launcher = os.last("/usr/sbin/nginx");
        unitOs.liveGroups.add(launcher.pid);
        unitOs.existing.add(4242);
        unitOs.processGroups.put(4242, 4242);
        unitOs.liveGroups.add(4242);
        unitOs.pidFiles.put(pidFile, 4242);
        launcher.exit(0);
        unitOs.liveGroups.remove(launcher.pid);
        advance(50);
        assertEquals(UnitState.RUNNING, nginx.state());

        unitOs.adopted.get(4242).exit(ExitStatus.killed(Signals.SIGKILL));
        assertTrue(unitOs.groupSignals.contains("4242:" + Signals.SIGTERM),
                "the workers in the master's own group are stopped too: " + unitOs.groupSignals);
        unitOs.liveGroups.remove(4242);
        advance(1);
        assertEquals(UnitState.FAILED, nginx.state());
        assertEquals(Result.SIGNAL, nginx.result());
    }

    @Test
    void forkingThatNeverWritesItsPidFileTimesOut() {
        UnitService web = started(unit("/usr/sbin/webd").type(Type.FORKING).pidFile(Path.of("/run/web.pid"))
                .timeouts(Optional.of(Duration.ofSeconds(2)), Optional.of(Duration.ofSeconds(1)), Optional.empty()));
        unitOs.liveGroups.add(os.last().pid);
        os.last().exit(0);
        advance(1999);
        assertEquals(UnitState.START, web.state());
        advance(1);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.TIMEOUT, web.result());
    }

    @Test
    void forkingWhoseIgnoredStartFailedLeavingNothingFailsInsteadOfWaitingForItsPidFile() {
        // postgresql@.service: ExecStart=-pg_ctlcluster ... start, PIDFile=, TimeoutStartSec=0.
        UnitService web = started(UnitSpec.builder("web.service", SOURCE).type(Type.FORKING)
                .commands(Phase.START, List.of(cmd("-/usr/bin/pg_ctlcluster start")))
                .pidFile(Path.of("/run/web.pid"))
                .timeouts(Optional.empty(), Optional.of(Duration.ofSeconds(1)), Optional.empty()));
        os.last().exit(1);
        assertEquals(UnitState.FAILED, web.state(), String.join("\n", lines));
        assertEquals(Result.PROTOCOL, web.result());
        assertTrue(lines.contains("the daemon never wrote its PID file /run/web.pid and nothing of it is left: "
                + "failing"), lines.toString());
    }

    @Test
    void forkingWithoutPidFileGuessesTheOneProcessLeftBehindAndStopsIt() {
        UnitService web = started(unit("/usr/sbin/apache2").type(Type.FORKING));
        FakeProcess launcher = os.last();
        unitOs.existing.add(4242);
        unitOs.orphans.add(4242);
        launcher.exit(0);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(4242, web.mainPid());
        assertTrue(lines.contains("main process is pid 4242 (guessed: the one process the start left behind)"),
                lines.toString());
        web.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), unitOs.adopted.get(4242).signals);
        unitOs.adopted.get(4242).exit(ExitStatus.killed(Signals.SIGTERM));
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void forkingGuessesNothingAmongSeveralOrphansOrWithGuessMainPidOff() {
        UnitService two = started(unit("/usr/sbin/webd").type(Type.FORKING));
        unitOs.existing.addAll(List.of(4242, 4243));
        unitOs.orphans.addAll(List.of(4242, 4243));
        unitOs.liveGroups.add(os.last().pid);
        os.last().exit(0);
        assertEquals(0, two.mainPid());
        UnitService off = started(UnitSpec.builder("off.service", SOURCE).type(Type.FORKING).guessMainPid(false)
                .commands(Phase.START, List.of(cmd("/usr/sbin/offd"))));
        unitOs.orphans.remove(Integer.valueOf(4243));
        unitOs.liveGroups.add(os.last().pid);
        os.last().exit(0);
        assertEquals(UnitState.RUNNING, off.state());
        assertEquals(0, off.mainPid());
    }

    @Test
    void forkingWithoutPidFileLivesAsLongAsItsProcessGroup() {
        UnitService web = started(unit("/usr/sbin/webd").type(Type.FORKING).restart(Restart.ALWAYS)
                .restartSec(Duration.ofSeconds(5)));
        FakeProcess launcher = os.last();
        unitOs.liveGroups.add(launcher.pid);
        launcher.exit(0);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(0, web.mainPid());
        advance(10_000);
        assertEquals(UnitState.RUNNING, web.state());
        unitOs.liveGroups.remove(launcher.pid);
        advance(1_000);
        assertEquals(UnitState.AUTO_RESTART, web.state(), "the daemon is gone; Restart=always");
        assertEquals(Result.SUCCESS, web.result());
    }

    @Test
    void oneshotRunsEveryExecStartInTurnAndRemainsAfterExit() {
        UnitService web = started(UnitSpec.builder("web.service", SOURCE).type(Type.ONESHOT).remainAfterExit(true)
                .commands(Phase.START, List.of(cmd("/bin/one"), cmd("/bin/two")))
                .timeouts(Optional.empty(), Optional.of(Duration.ofSeconds(90)), Optional.empty()));
        assertEquals(UnitState.START, web.state());
        assertEquals(1, os.count("/bin/one"));
        assertEquals(0, os.count("/bin/two"));
        os.last("/bin/one").exit(0);
        assertEquals(1, os.count("/bin/two"));
        advance(3_600_000);
        assertEquals(UnitState.START, web.state(), "a oneshot has no start timeout by default");
        os.last("/bin/two").exit(0);
        assertEquals(UnitState.EXITED, web.state());
        assertEquals("active", web.state().activeState());
        web.stop();
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void oneshotWithoutRemainAfterExitEndsDeadAndAFailureStopsTheList() {
        UnitService ok = started(UnitSpec.builder("ok.service", SOURCE).type(Type.ONESHOT)
                .commands(Phase.START, List.of(cmd("/bin/one"))));
        os.last("/bin/one").exit(0);
        assertEquals(UnitState.DEAD, ok.state());

        UnitService bad = started(UnitSpec.builder("bad.service", SOURCE).type(Type.ONESHOT)
                .commands(Phase.START, List.of(cmd("/bin/three"), cmd("/bin/four"))));
        os.last("/bin/three").killedBy(Signals.SIGTERM);
        assertEquals(UnitState.FAILED, bad.state(), "for a oneshot, death by SIGTERM is no clean exit");
        assertEquals(Result.SIGNAL, bad.result());
        assertEquals(0, os.count("/bin/four"));
    }

    @Test
    void notifyIsReadyOnReadyAndShowsItsStatus() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        assertEquals(SOCKET.toString(), main.request.command().environment().get("NOTIFY_SOCKET"));
        assertEquals(UnitState.START, web.state());
        assertFalse(web.notify(main.pid + 1, ROOT, msg("READY=1")), "NotifyAccess=main: only the main process");
        assertEquals(UnitState.START, web.state());
        assertTrue(web.notify(main.pid, ROOT, msg("STATUS=warming up")));
        assertEquals("warming up", web.statusText());
        web.notify(main.pid, ROOT, msg("READY=1", "STATUS=serving"));
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals("serving", web.statusText());
    }

    @Test
    void notifyAccessNoneDropsEverythingAndExecHearsControlProcesses() {
        UnitService quiet = started(unit("/bin/web").type(Type.SIMPLE));
        assertFalse(quiet.notify(os.last().pid, ROOT, msg("STATUS=x")));
        assertEquals("", quiet.statusText());
        assertTrue(!os.last().request.command().environment().containsKey("NOTIFY_SOCKET"));

        UnitService web = started(unit("/bin/web2").type(Type.NOTIFY).notifyAccess(NotifyAccess.EXEC)
                .commands(Phase.START_POST, List.of(cmd("/bin/post"))));
        web.notify(os.last("/bin/web2").pid, ROOT, msg("READY=1"));
        assertEquals(UnitState.START_POST, web.state());
        assertTrue(web.notify(os.last("/bin/post").pid, ROOT, msg("STATUS=from post")));
        assertEquals("from post", web.statusText());
    }

    @Test
    void notifyThatExitsBeforeReadyFailsWithProtocol() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        os.last().exit(0);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.PROTOCOL, web.result());
    }

    @Test
    void mainPidMessageMovesTheMainProcess() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.ALL));
        FakeProcess launcher = os.last();
        unitOs.existing.add(777);
        web.notify(launcher.pid, ROOT, msg("MAINPID=777", "READY=1"));
        assertEquals(777, web.mainPid());
        launcher.exit(0);
        assertEquals(UnitState.RUNNING, web.state(), "the old main process no longer counts");
        unitOs.adopted.get(777).exit(ExitStatus.exited(0));
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void mainPidOfAForeignProcessIsRefusedFromAServiceUserAndBelievedFromRoot() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.ALL));
        FakeProcess main = os.last();
        unitOs.existing.add(777);
        web.notify(main.pid, NOBODY, msg("MAINPID=777", "READY=1"));
        web.notify(main.pid + 1, NOBODY, msg("MAINPID=777"));
        assertEquals(main.pid, web.mainPid(), "a process outside the unit is not its main process");
        assertTrue(unitOs.adopted.isEmpty());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("refusing MAINPID=777 from pid " + main.pid
                + " (uid 65534): pid 777 is foreign; the main process stays pid " + main.pid)).count(), lines.toString());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("refusing")).count(), "one line, however many tries");

        web.notify(main.pid, ROOT, msg("MAINPID=777"));
        assertEquals(777, web.mainPid(), "root may name any live process, as in systemd");
    }

    @Test
    void mainPidOfADescendantIsBelievedFromAServiceUser() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        unitOs.existing.add(900);
        unitOs.parents.put(900, 899);
        unitOs.parents.put(899, main.pid);
        web.notify(main.pid, NOBODY, msg("MAINPID=900", "READY=1"));
        assertEquals(900, web.mainPid());
        assertEquals(UnitState.RUNNING, web.state());
        web.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), unitOs.adopted.get(900).signals);
    }

    @Test
    void theControlProcessIsNoMainProcessEvenOnRootsWord() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.ALL)
                .commands(Phase.START_POST, List.of(cmd("/bin/post"))));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1"));
        FakeProcess post = os.last("/bin/post");
        unitOs.existing.add(post.pid);
        web.notify(main.pid, ROOT, msg("MAINPID=" + post.pid));
        assertEquals(main.pid, web.mainPid());
        assertTrue(lines.stream().anyMatch(l -> l.contains("pid " + post.pid + " is the unit's control process")),
                lines.toString());
    }

    @Test
    void aForeignMainPidIsNeverSignalledAtStop() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        unitOs.existing.add(1234);
        web.notify(main.pid, NOBODY, msg("READY=1", "MAINPID=1234"));
        web.stop();
        assertTrue(unitOs.adopted.isEmpty(), "the foreign process was never the unit's");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
    }

    @Test
    void anUntrustedPidFileNamingAForeignPidIsRefused() {
        Path pidFile = Path.of("/run/web/web.pid");
        UnitService web = started(unit("/usr/sbin/webd").type(Type.FORKING).pidFile(pidFile));
        unitOs.existing.add(4242);
        unitOs.pidFiles.put(pidFile, 4242);
        unitOs.untrustedPidFiles.put(pidFile, "owned by uid 1000");
        os.last("/usr/sbin/webd").exit(0);
        assertTrue(unitOs.adopted.isEmpty());
        assertEquals(0, web.mainPid());
        assertTrue(lines.contains("refusing pid 4242 from PID file /run/web/web.pid: pid 4242 is foreign, and the "
                + "file is not root's alone (owned by uid 1000)"), lines.toString());
        assertEquals(Result.PROTOCOL, web.result());
    }

    @Test
    void aRootOwnedPidFileIsBelievedForAnyLivePid() {
        Path pidFile = Path.of("/run/web.pid");
        UnitService web = started(unit("/usr/sbin/webd").type(Type.FORKING).pidFile(pidFile));
        unitOs.existing.add(4242);
        unitOs.pidFiles.put(pidFile, 4242);
        os.last("/usr/sbin/webd").exit(0);
        assertEquals(4242, web.mainPid(), "a forking daemon is reparented away from the unit: only root's file tells");
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void notifyReloadSendsTheSignalAndWaitsForReady() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY_RELOAD).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1"));
        assertTrue(web.reload());
        assertEquals(List.of(Signals.SIGHUP), main.signals);
        assertEquals(UnitState.RELOAD, web.state());
        assertEquals("reloading", web.state().activeState());
        web.notify(main.pid, ROOT, msg("RELOADING=1", "MONOTONIC_USEC=1"));
        web.notify(main.pid, ROOT, msg("READY=1"));
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void notifyReloadWhoseSignalIsRefusedFailsAtOnce() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY_RELOAD).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1"));
        main.refusesSignals = true;
        assertTrue(web.reload());
        assertEquals("cannot send SIGHUP to pid " + main.pid + ": Operation not permitted", lines.getLast());
        assertEquals(UnitState.RUNNING, web.state(), "no reload to wait for");
        assertEquals(Result.RESOURCES, web.reloadResult());
        advance(600_000);
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void reloadingAnnouncedByTheServiceItself() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1"));
        web.notify(main.pid, ROOT, msg("RELOADING=1"));
        assertEquals(UnitState.RELOAD, web.state());
        web.notify(main.pid, ROOT, msg("READY=1"));
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void stoppingMessageWaitsForTheExitWithoutSignalling() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .restart(Restart.ON_FAILURE));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1"));
        web.notify(main.pid, ROOT, msg("STOPPING=1"));
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(List.of(), main.signals);
        main.exit(0);
        assertEquals(UnitState.DEAD, web.state());
    }

    // ---- Condition*= ----

    private static UnitSpec.Condition condition(String check, String prefixes, String path) {
        return new UnitSpec.Condition(check, prefixes.contains("|"), prefixes.contains("!"), path);
    }

    @Test
    void aConditionThatDoesNotHoldSkipsTheStartWithoutRunningAnything() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS)
                .conditions(List.of(condition("PathExists", "", "/etc/web.conf"))));
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Result.SKIP_CONDITION, web.result());
        assertEquals(0, os.started.size());
        assertTrue(lines.contains("start condition not met: ConditionPathExists=/etc/web.conf"), lines.toString());
        advance(10_000);
        assertEquals(0, os.started.size(), "a skipped unit is not restarted");

        unitOs.holding.add("PathExists:/etc/web.conf");
        web.start();
        assertEquals(1, os.count("/bin/web"), "started once the condition holds");
    }

    @Test
    void negationAndTriggeringConditionsFollowSystemd() {
        unitOs.holding.add("PathExists:/run/b");
        UnitService both = started(unit("/bin/web").conditions(List.of(
                condition("PathExists", "!", "/run/off"),
                condition("PathExists", "|", "/run/a"),
                condition("PathExists", "|", "/run/b"))));
        assertEquals(1, os.count("/bin/web"), "not negated away, and one triggering condition holds");
        both.stop();
        os.last("/bin/web").exit(0);
        assertEquals(UnitState.DEAD, both.state());

        unitOs.holding.remove("PathExists:/run/b");
        both.start();
        assertEquals(Result.SKIP_CONDITION, both.result(), "no triggering condition holds");
        assertEquals(1, os.count("/bin/web"));

        unitOs.holding.add("PathExists:/run/b");
        unitOs.holding.add("PathExists:/run/off");
        both.start();
        assertEquals(Result.SKIP_CONDITION, both.result(), "the negated condition fails");
        assertEquals(1, os.count("/bin/web"));
    }

    // ---- the exec list ----

    @Test
    void conditionThatSaysNoSkipsTheUnitWithoutFailingIt() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS)
                .commands(Phase.CONDITION, List.of(cmd("/bin/check"))));
        assertEquals(UnitState.CONDITION, web.state());
        os.last("/bin/check").exit(1);
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Result.SKIP_CONDITION, web.result());
        assertEquals(0, os.count("/bin/web"));
        advance(10_000);
        assertEquals(0, os.count("/bin/web"), "a skipped unit is not restarted");
    }

    @Test
    void conditionThatExits255Fails() {
        UnitService web = started(unit("/bin/web").commands(Phase.CONDITION, List.of(cmd("/bin/check"))));
        os.last("/bin/check").exit(255);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.EXIT_CODE, web.result());
    }

    @Test
    void startPreRunsInOrderAndDashIgnoresAFailure() {
        UnitService web = started(unit("/bin/web")
                .commands(Phase.START_PRE, List.of(cmd("-/bin/mayfail"), cmd("/bin/mustwork"))));
        assertEquals(UnitState.START_PRE, web.state());
        os.last("/bin/mayfail").exit(3);
        assertEquals(UnitState.START_PRE, web.state());
        os.last("/bin/mustwork").exit(0);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(1, os.count("/bin/web"));
    }

    @Test
    void startPreFailureFailsTheUnitAndRunsStopPostWithTheResult() {
        UnitService web = started(unit("/bin/web").commands(Phase.START_PRE, List.of(cmd("/bin/pre")))
                .commands(Phase.STOP_POST, List.of(cmd("/bin/cleanup $SERVICE_RESULT"))));
        os.last("/bin/pre").exit(2);
        assertEquals(UnitState.STOP_POST, web.state());
        FakeProcess cleanup = os.last("/bin/cleanup");
        assertEquals(List.of("/bin/cleanup", "exit-code"), cleanup.argv());
        cleanup.exit(0);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(0, os.count("/bin/web"));
    }

    @Test
    void startPostRunsAfterReadyWithTheMainPid() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .commands(Phase.START_POST, List.of(cmd("/bin/post $MAINPID"))));
        FakeProcess main = os.last();
        assertEquals(0, os.count("/bin/post"));
        web.notify(main.pid, ROOT, msg("READY=1"));
        FakeProcess post = os.last("/bin/post");
        assertEquals(List.of("/bin/post", Integer.toString(main.pid)), post.argv());
        assertEquals(UnitState.START_POST, web.state());
        post.exit(0);
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void reloadRunsExecReloadWithMainPid() {
        UnitService web = started(unit("/bin/web").commands(Phase.RELOAD, List.of(cmd("/bin/kill -HUP $MAINPID"))));
        FakeProcess main = os.last();
        assertTrue(web.reload());
        FakeProcess reload = os.last("/bin/kill");
        assertEquals(List.of("/bin/kill", "-HUP", Integer.toString(main.pid)), reload.argv());
        assertEquals(Integer.toString(main.pid), reload.request.command().environment().get("MAINPID"));
        reload.exit(1);
        assertEquals(UnitState.RUNNING, web.state(), "a failed reload leaves the unit running");
        assertEquals(Result.EXIT_CODE, web.reloadResult());
    }

    @Test
    void reloadWithoutExecReloadIsRefused() {
        UnitService web = started(unit("/bin/web"));
        assertFalse(web.reload());
    }

    @Test
    void stopRunsExecStopThenSignalsThenStopPostWithTheExitDetails() {
        UnitService web = started(unit("/bin/web")
                .commands(Phase.STOP, List.of(cmd("/bin/ctl stop $MAINPID")))
                .commands(Phase.STOP_POST, List.of(cmd("/bin/post $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS"))));
        FakeProcess main = os.last("/bin/web");
        web.stop();
        FakeProcess ctl = os.last("/bin/ctl");
        assertEquals(List.of("/bin/ctl", "stop", Integer.toString(main.pid)), ctl.argv());
        assertEquals(UnitState.STOP, web.state());
        assertEquals(List.of(), main.signals, "ExecStop= comes first");
        ctl.exit(0);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        FakeProcess post = os.last("/bin/post");
        assertEquals(List.of("/bin/post", "success", "killed", "TERM"), post.argv());
        post.exit(0);
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void execStopDoesNotRunAfterAnUncleanExit() {
        UnitService web = started(unit("/bin/web").commands(Phase.STOP, List.of(cmd("/bin/ctl stop"))));
        os.last("/bin/web").exit(1);
        assertEquals(0, os.count("/bin/ctl"));
        assertEquals(UnitState.FAILED, web.state());
    }

    // ---- Restart=: one test per row of systemd's table ----

    /** Starts a unit for every Restart= value, applies the cause, and checks which ones restart. */
    private void assertRow(java.util.function.Consumer<UnitService> cause, UnitSpec.Builder spec,
                           Set<Restart> restarting) {
        for (Restart r : Restart.values()) {
            UnitService web = started(spec.restart(r).name("web-" + r + ".service"));
            cause.accept(web);
            boolean restarts = web.state() == UnitState.AUTO_RESTART;
            assertEquals(restarting.contains(r), restarts, "Restart=" + r + " after this cause; lines: " + lines);
            web.stop();
        }
    }

    @Test
    void rowCleanExit() {
        assertRow(web -> lastMain(web).exit(0), unit("/bin/web"), Set.of(Restart.ALWAYS, Restart.ON_SUCCESS));
        assertRow(web -> lastMain(web).killedBy(Signals.SIGTERM), unit("/bin/web"),
                Set.of(Restart.ALWAYS, Restart.ON_SUCCESS));
        assertRow(web -> lastMain(web).exit(7),
                unit("/bin/web").exitStatuses(new ExitStatuses(Set.of(7), Set.of()), ExitStatuses.NONE,
                        ExitStatuses.NONE), Set.of(Restart.ALWAYS, Restart.ON_SUCCESS));
    }

    @Test
    void rowUncleanExitCode() {
        assertRow(web -> lastMain(web).exit(1), unit("/bin/web"), Set.of(Restart.ALWAYS, Restart.ON_FAILURE));
    }

    @Test
    void rowUncleanSignal() {
        assertRow(web -> lastMain(web).killedBy(Signals.SIGSEGV), unit("/bin/web"),
                Set.of(Restart.ALWAYS, Restart.ON_FAILURE, Restart.ON_ABNORMAL, Restart.ON_ABORT));
    }

    @Test
    void rowTimeout() {
        assertRow(web -> {
            advance(90_000);
            lastMain(web).killedBy(Signals.SIGTERM);
        }, unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN),
                Set.of(Restart.ALWAYS, Restart.ON_FAILURE, Restart.ON_ABNORMAL));
    }

    @Test
    void rowWatchdog() {
        assertRow(web -> {
            web.notify(lastMain(web).pid, ROOT, msg("READY=1"));
            advance(5_000);
            lastMain(web).killedBy(Signals.SIGABRT);
        }, unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN).watchdog(
                Optional.of(Duration.ofSeconds(5))),
                Set.of(Restart.ALWAYS, Restart.ON_FAILURE, Restart.ON_ABNORMAL, Restart.ON_WATCHDOG));
    }

    private FakeProcess lastMain(UnitService web) {
        return os.started.stream().filter(p -> p.pid == web.mainPid()).findFirst()
                .orElseThrow(() -> new AssertionError("no main process"));
    }

    @ParameterizedTest
    @EnumSource(Restart.class)
    void restartPreventExitStatusWinsOverTheTable(Restart r) {
        UnitService web = started(unit("/bin/web").restart(r).exitStatuses(ExitStatuses.NONE,
                new ExitStatuses(Set.of(1), Set.of(Signals.SIGSEGV)), ExitStatuses.NONE));
        os.last().exit(1);
        assertEquals(UnitState.FAILED, web.state());
    }

    @ParameterizedTest
    @EnumSource(Restart.class)
    void restartForceExitStatusRestartsWhateverTheTable(Restart r) {
        UnitService web = started(unit("/bin/web").restart(r).exitStatuses(ExitStatuses.NONE, ExitStatuses.NONE,
                new ExitStatuses(Set.of(0, 42), Set.of())));
        os.last().exit(42);
        assertEquals(UnitState.AUTO_RESTART, web.state());
    }

    @Test
    void operatorStopNeverRestarts() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS));
        web.stop();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(UnitState.DEAD, web.state());
        advance(10_000);
        assertEquals(1, os.count("/bin/web"));
    }

    // ---- restart delays and the start limit ----

    @Test
    void restartWaitsRestartSec() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofSeconds(3)));
        os.last().exit(0);
        assertEquals(UnitState.AUTO_RESTART, web.state());
        advance(2_999);
        assertEquals(1, os.count("/bin/web"));
        advance(1);
        assertEquals(2, os.count("/bin/web"));
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(1, web.restarts());
    }

    @Test
    void restartStepsGrowTheDelayExponentiallyToTheMaximum() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofSeconds(1))
                .restartSteps(2, Optional.of(Duration.ofSeconds(16))).startLimit(Optional.empty(), 0));
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            os.last().exit(1);
            long before = clock.nanoTime();
            int count = os.started.size();
            while (os.started.size() == count) advance(1);
            delays.add(Duration.ofNanos(clock.nanoTime() - before).toMillis());
        }
        assertEquals(List.of(1_000L, 4_000L, 16_000L, 16_000L), delays);
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void startLimitStopsRestartsAndResetFailedClearsIt() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofMillis(100))
                .startLimit(Optional.of(Duration.ofSeconds(10)), 3));
        for (int i = 0; i < 3; i++) {
            os.last().exit(1);
            advance(100);
        }
        assertEquals(3, os.count("/bin/web"));
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.START_LIMIT_HIT, web.result());
        advance(60_000);
        assertEquals(3, os.count("/bin/web"), "start-limit-hit is never restarted");
        web.start();
        assertEquals(4, os.count("/bin/web"), "the starts have aged out of the interval");
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void resetFailedAllowsAStartWithinTheInterval() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofMillis(100))
                .startLimit(Optional.of(Duration.ofSeconds(10)), 2));
        os.last().exit(1);
        advance(100);
        os.last().exit(1);
        advance(100);
        assertEquals(Result.START_LIMIT_HIT, web.result());
        web.start();
        assertEquals(UnitState.FAILED, web.state(), "the limit still holds");
        web.resetFailed();
        assertEquals(UnitState.DEAD, web.state());
        web.start();
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(3, os.count("/bin/web"));
    }

    // ---- timeouts and killing ----

    @Test
    void startTimeoutTermsThenKillsAndFails() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .timeouts(Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofSeconds(2)), Optional.empty()));
        FakeProcess main = os.last();
        advance(5_000);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        advance(2_000);
        assertEquals(UnitState.STOP_SIGKILL, web.state());
        assertEquals(Signals.SIGKILL, main.signals.getLast());
        main.killedBy(Signals.SIGKILL);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.TIMEOUT, web.result());
    }

    @Test
    void aStopWhoseSignalsAreRefusedSaysSoAndStillTimesOut() {
        UnitService web = started(unit("/bin/web").timeouts(Optional.of(Duration.ofSeconds(5)),
                Optional.of(Duration.ofSeconds(2)), Optional.empty()));
        FakeProcess main = os.last();
        main.refusesSignals = true;
        web.stop();
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        String refused = "cannot send %s to pid " + main.pid + ": Operation not permitted";
        assertEquals(refused.formatted("SIGTERM"), lines.getLast(), "no CONT follows a TERM not sent");
        assertFalse(lines.contains("sent SIGTERM"), lines.toString());
        advance(2_000);
        assertEquals(UnitState.STOP_SIGKILL, web.state());
        assertTrue(lines.contains(refused.formatted("SIGKILL")), lines.toString());
        advance(2_000);
        assertEquals(UnitState.FAILED, web.state(), "gave up on the process");
        assertEquals(Result.TIMEOUT, web.result());
    }

    @Test
    void aRefusedKillCommandSaysSo() {
        UnitService web = started(unit("/bin/web"));
        FakeProcess main = os.last();
        main.refusesSignals = true;
        assertEquals(Optional.of("Operation not permitted"), web.signal(Signals.SIGUSR1));
        assertEquals("cannot send SIGUSR1 to pid " + main.pid + ": Operation not permitted", lines.getLast());
        main.refusesSignals = false;
        assertEquals(Optional.empty(), web.signal(Signals.SIGUSR1));
        assertEquals(UnitState.RUNNING, web.state());
    }

    @Test
    void timeoutSecInfinityNeverTimesOut() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .timeouts(Optional.empty(), Optional.empty(), Optional.empty()));
        advance(86_400_000);
        assertEquals(UnitState.START, web.state());
        web.stop();
        advance(86_400_000);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), os.last().signals);
    }

    @Test
    void extendTimeoutBuysTime() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .timeouts(Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofSeconds(5)), Optional.empty()));
        FakeProcess main = os.last();
        advance(4_000);
        web.notify(main.pid, ROOT, msg("EXTEND_TIMEOUT_USEC=10000000"));
        advance(9_000);
        assertEquals(UnitState.START, web.state());
        advance(1_000);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
    }

    @Test
    void sendSigkillNoGivesUpWithoutKilling() {
        UnitService web = started(unit("/bin/web").timeouts(Optional.of(Duration.ofSeconds(5)),
                Optional.of(Duration.ofSeconds(2)), Optional.empty())
                .kill(new Kill(KillMode.PROCESS, Signals.SIGINT, Optional.empty(), true, false, Signals.SIGKILL, 6)));
        FakeProcess main = os.last();
        web.stop();
        assertEquals(List.of(Signals.SIGINT, Signals.SIGCONT, Signals.SIGHUP), main.signals);
        advance(2_000);
        assertEquals(UnitState.FINAL_SIGTERM, web.state());
        advance(2_000);
        assertFalse(main.signals.contains(Signals.SIGKILL));
        assertEquals(UnitState.FAILED, web.state(), "gave up waiting");
        assertEquals(Result.TIMEOUT, web.result());
    }

    @Test
    void finalKillSignalIsWhatTheStopTimeoutSends() {
        UnitService web = started(unit("/bin/web").timeouts(Optional.of(Duration.ofSeconds(5)),
                Optional.of(Duration.ofSeconds(1)), Optional.empty())
                .kill(new Kill(KillMode.PROCESS, Signals.SIGTERM, Optional.empty(), false, true, Signals.SIGQUIT, 6)));
        FakeProcess main = os.last();
        web.stop();
        advance(1_000);
        assertEquals(Signals.SIGQUIT, main.signals.getLast());
    }

    @Test
    void controlGroupFallsBackToTheProcessGroupAndSaysSoOnce() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS));
        FakeProcess main = os.last();
        unitOs.liveGroups.add(main.pid);
        web.restart();
        assertEquals(List.of(main.pid + ":" + Signals.SIGTERM, main.pid + ":" + Signals.SIGCONT),
                unitOs.groupSignals);
        assertEquals(List.of(), main.signals, "the group signal reached the main process: once is enough");
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.RUNNING, web.state(), "restarted");
        FakeProcess second = os.last();
        unitOs.liveGroups.add(second.pid);
        web.stop();
        assertEquals(1, lines.stream().filter(l -> l.contains("no cgroups")).count(), lines.toString());
    }

    @Test
    void mixedSendsTheFirstSignalToMainAndTheKillToTheGroup() {
        UnitService web = started(unit("/bin/web").timeouts(Optional.of(Duration.ofSeconds(5)),
                Optional.of(Duration.ofSeconds(1)), Optional.empty())
                .kill(new Kill(KillMode.MIXED, Signals.SIGTERM, Optional.empty(), false, true, Signals.SIGKILL, 6)));
        FakeProcess main = os.last();
        unitOs.liveGroups.add(main.pid);
        web.stop();
        assertEquals(List.of(), unitOs.groupSignals);
        advance(1_000);
        assertEquals(List.of(main.pid + ":" + Signals.SIGKILL), unitOs.groupSignals);
    }

    @Test
    void killModeNoneSendsNothing() {
        UnitService web = started(unit("/bin/web")
                .kill(new Kill(KillMode.NONE, Signals.SIGTERM, Optional.empty(), false, true, Signals.SIGKILL, 6)));
        web.stop();
        assertEquals(List.of(), os.last().signals);
    }

    @Test
    void restartKillSignalIsUsedToRestart() {
        UnitService web = started(unit("/bin/web").kill(new Kill(KillMode.PROCESS, Signals.SIGTERM,
                Optional.of(Signals.SIGUSR1), false, true, Signals.SIGKILL, 6)));
        FakeProcess first = os.last();
        web.restart();
        assertEquals(Signals.SIGUSR1, first.signals.getFirst());
        first.exit(0);
        assertEquals(2, os.count("/bin/web"));
        assertEquals(UnitState.RUNNING, web.state());
    }

    // ---- watchdog ----

    @Test
    void watchdogPingsKeepItAliveAndAMissAborts() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .restart(Restart.ON_WATCHDOG).watchdog(Optional.of(Duration.ofSeconds(4))));
        FakeProcess main = os.last();
        assertEquals("4000000", main.request.command().environment().get("WATCHDOG_USEC"));
        assertEquals(List.of("WATCHDOG_PID"), main.request.pidVariables());
        web.notify(main.pid, ROOT, msg("READY=1"));
        for (int i = 0; i < 5; i++) {
            advance(3_000);
            web.notify(main.pid, ROOT, msg("WATCHDOG=1"));
        }
        assertEquals(UnitState.RUNNING, web.state());
        advance(4_000);
        assertEquals(UnitState.STOP_WATCHDOG, web.state());
        assertEquals(List.of(Signals.SIGABRT), main.signals);
        main.killedBy(Signals.SIGABRT);
        assertEquals(UnitState.AUTO_RESTART, web.state());
        assertEquals(Result.WATCHDOG, web.result());
        advance(100);
        assertEquals(2, os.count("/bin/web"));
    }

    @Test
    void watchdogTriggerAndUsecChange() {
        UnitService web = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess main = os.last();
        web.notify(main.pid, ROOT, msg("READY=1", "WATCHDOG_USEC=2000000"));
        assertEquals(Optional.of(Duration.ofSeconds(2)), web.watchdogInterval());
        advance(2_000);
        assertEquals(UnitState.STOP_WATCHDOG, web.state());
        main.killedBy(Signals.SIGABRT);

        UnitService other = started(unit("/bin/other").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .name("other.service"));
        FakeProcess second = os.last("/bin/other");
        other.notify(second.pid, ROOT, msg("READY=1"));
        other.notify(second.pid, ROOT, msg("WATCHDOG=trigger"));
        assertEquals(UnitState.STOP_WATCHDOG, other.state());
    }

    // ---- environment ----

    private static final Path DEFAULTS = Path.of("/etc/default/web");

    private static List<UnitSpec.EnvironmentFile> required(Path... files) {
        return Arrays.stream(files).map(f -> new UnitSpec.EnvironmentFile(f, false)).toList();
    }

    @Test
    void environmentFilesAreReadForEachCommandSoAnEditNeedsNoReload() {
        unitOs.environmentFiles.put(DEFAULTS, Map.of("PORT", "1"));
        UnitService web = started(unit("/bin/web --port $PORT")
                .commands(Phase.START_PRE, List.of(cmd("/bin/pre $PORT")))
                .environmentFiles(required(DEFAULTS)));
        FakeProcess pre = os.last("/bin/pre");
        assertEquals(List.of("/bin/pre", "1"), pre.argv());
        unitOs.environmentFiles.put(DEFAULTS, Map.of("PORT", "2"));
        pre.exit(0);
        FakeProcess first = os.last("/bin/web");
        assertEquals(List.of("/bin/web", "--port", "2"), first.argv(), "read again for ExecStart=");
        assertEquals("2", first.request.command().environment().get("PORT"));

        unitOs.environmentFiles.put(DEFAULTS, Map.of("PORT", "3"));
        web.restart();
        first.killedBy(Signals.SIGTERM);
        assertEquals(List.of("/bin/pre", "3"), os.last("/bin/pre").argv());
        os.last("/bin/pre").exit(0);
        assertEquals(List.of("/bin/web", "--port", "3"), os.last("/bin/web").argv(), "the restart sees the edit");
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(4, unitOs.environmentReads.size(), "once per command");
    }

    @Test
    void fileValuesOverrideEnvironmentLaterFilesWinAndUnsetEnvironmentIsLast() {
        Path first = Path.of("/etc/web/a.env");
        Path second = Path.of("/etc/web/b.env");
        unitOs.environmentFiles.put(first, Map.of("LANG", "de_DE.UTF-8", "A", "a", "B", "a"));
        unitOs.environmentFiles.put(second, Map.of("B", "b", "C", "b"));
        started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .environmentFiles(required(first, second))
                .unsetEnvironment(List.of("A", "C=not-b", "B=a", "NOTIFY_SOCKET")));
        Map<String, String> env = os.last().request.command().environment();
        assertEquals("de_DE.UTF-8", env.get("LANG"), "a file overrides Environment=");
        assertEquals("b", env.get("B"), "the later file wins (and B=a no longer matches)");
        assertEquals("b", env.get("C"), "VAR=VALUE unsets only that value");
        assertFalse(env.containsKey("A"));
        assertFalse(env.containsKey("NOTIFY_SOCKET"), "the last step, over what Vigil sets too");
        assertEquals(List.of(first, second), unitOs.environmentReads);
    }

    @Test
    void aMissingOptionalFileIsSkipped() {
        unitOs.environmentFiles.put(DEFAULTS, Map.of("PORT", "1"));
        UnitService web = started(unit("/bin/web").environmentFiles(List.of(
                new UnitSpec.EnvironmentFile(Path.of("/etc/default/missing"), true),
                new UnitSpec.EnvironmentFile(DEFAULTS, false))));
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals("1", os.last().request.command().environment().get("PORT"));
    }

    @Test
    void aMissingRequiredFileFailsTheStartNamingItUntilItIsThere() {
        UnitService web = started(unit("/bin/web").environmentFiles(required(DEFAULTS)));
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.RESOURCES, web.result());
        assertEquals(0, os.started.size());
        assertTrue(lines.contains("cannot start: EnvironmentFile=/etc/default/web: No such file or directory"),
                lines.toString());

        unitOs.environmentFiles.put(DEFAULTS, Map.of());
        web.start();
        assertEquals(UnitState.RUNNING, web.state(), "the file is read at the start: no reload needed");
    }

    @Test
    void aMissingRequiredFileFailsAControlCommandToo() {
        UnitService pre = started(unit("/bin/web").restart(Restart.ON_FAILURE)
                .commands(Phase.START_PRE, List.of(cmd("/bin/pre"))).environmentFiles(required(DEFAULTS)));
        assertEquals(0, os.started.size());
        assertEquals(UnitState.AUTO_RESTART, pre.state());
        assertEquals(Result.RESOURCES, pre.result());
        assertTrue(lines.contains("cannot start /bin/pre: EnvironmentFile=/etc/default/web: No such file or directory"),
                lines.toString());

        // Gone while the unit runs: ExecStop= cannot run, and the stop goes on with the stop signal.
        unitOs.environmentFiles.put(DEFAULTS, Map.of());
        UnitService web = started(unit("/bin/other").name("other.service")
                .commands(Phase.STOP, List.of(cmd("/bin/stop"))).environmentFiles(required(DEFAULTS)));
        FakeProcess main = os.last("/bin/other");
        unitOs.environmentFiles.remove(DEFAULTS);
        web.stop();
        assertEquals(0, os.count("/bin/stop"));
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.RESOURCES, web.result());
    }

    // ---- directories ----

    private static final Path RUN = Path.of("/run/web");

    private static UnitSpec.Directory runtime(Removal removal) {
        return new UnitSpec.Directory(RUN, 0755, Optional.empty(), removal);
    }

    @Test
    void directoriesAreMadeBeforeTheStartAndARuntimeOneGoesWhenStopped() {
        var state = new UnitSpec.Directory(Path.of("/var/lib/web"), 0700, Optional.empty(), Removal.NEVER);
        UnitService web = started(unit("/bin/web").directories(List.of(runtime(Removal.EVERY_STOP), state)));
        assertEquals(Set.of(RUN, state.path()), unitOs.made);
        web.stop();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(Set.of(state.path()), unitOs.made);
    }

    @Test
    void preserveNoRemovesTheRuntimeDirectoryAtEveryStopRestartsIncluded() {
        UnitService web = started(unit("/bin/web").restart(Restart.ON_FAILURE).restartSec(Duration.ofSeconds(1))
                .directories(List.of(runtime(Removal.EVERY_STOP))));
        os.last().exit(1);
        assertEquals(UnitState.AUTO_RESTART, web.state());
        assertEquals(Set.of(), unitOs.made, "removed before the automatic restart");
        advance(1_000);
        assertEquals(Set.of(RUN), unitOs.made, "and made anew by it");
        web.restart();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(List.of("made /run/web", "removed /run/web", "made /run/web", "removed /run/web",
                "made /run/web"), unitOs.directoryLog, "an asked-for restart removes it too");
    }

    @Test
    void preserveRestartKeepsTheRuntimeDirectoryAcrossRestartsUntilTheUnitStops() {
        UnitService web = started(unit("/bin/web").restart(Restart.ON_FAILURE).restartSec(Duration.ofSeconds(1))
                .directories(List.of(runtime(Removal.UNLESS_RESTARTING))));
        os.last().exit(1);
        assertEquals(UnitState.AUTO_RESTART, web.state());
        assertEquals(Set.of(RUN), unitOs.made, "kept for the automatic restart");
        advance(1_000);
        web.restart();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(3, os.count("/bin/web"));
        assertTrue(unitOs.directoryLog.stream().noneMatch(l -> l.startsWith("removed")),
                unitOs.directoryLog.toString());

        web.stop();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Set.of(), unitOs.made, "the unit stopped for good");

        web.start();
        os.last().exit(1);
        assertEquals(Set.of(RUN), unitOs.made);
        web.stop();
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Set.of(), unitOs.made, "a stop cancels the automatic restart it was kept for");
    }

    @Test
    void preserveYesKeepsTheRuntimeDirectoryAfterTheStop() {
        UnitService web = started(unit("/bin/web").directories(List.of(runtime(Removal.NEVER))));
        web.stop();
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(UnitState.DEAD, web.state());
        assertEquals(Set.of(RUN), unitOs.made);
        assertEquals(List.of("made /run/web"), unitOs.directoryLog);
    }

    @Test
    void aDirectoryThatCannotBeMadeFailsTheStart() {
        unitOs.failDirectories = true;
        UnitService web = started(unit("/bin/web").directories(List.of(runtime(Removal.EVERY_STOP))));
        assertEquals(UnitState.FAILED, web.state());
        assertEquals(Result.RESOURCES, web.result());
        assertEquals(0, os.started.size());
    }

    // ---- removal ----

    @Test
    void exitStopsThenReportsRemoval() {
        UnitService web = started(unit("/bin/web").restart(Restart.ALWAYS));
        web.exit();
        assertEquals(List.of(), removed);
        os.last().killedBy(Signals.SIGTERM);
        assertEquals(List.of("web.service"), removed);
        assertEquals(Want.EXIT, web.want());
    }

    // ---- daemon-reexec ----

    /** The unit as a new daemon takes it up from {@code old}'s snapshot, with {@code spec} as its file says now. */
    private UnitService resumed(UnitService old, UnitSpec.Builder spec) {
        UnitSnapshot state = ((Service.Result.Ready<UnitSnapshot>) old.snapshot()).value();
        UnitService unit = UnitService.create(spec.build(), os, unitOs, clock, listener, Optional.of(SOCKET));
        unit.resume(state);
        return unit;
    }

    @Test
    void aRunningUnitGoesOnWithTheSameMainProcessAndIsRestartedWhenItDies() {
        UnitService old = started(unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .restart(Restart.ALWAYS));
        FakeProcess main = os.last("/bin/web");
        old.notify(main.pid, NOBODY, msg("READY=1", "STATUS=serving"));
        assertEquals(UnitState.RUNNING, old.state());
        unitOs.existing.add(main.pid);
        unitOs.startTicks.put(main.pid, 4242L);

        UnitService web = resumed(old, unit("/bin/web").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN)
                .restart(Restart.ALWAYS));
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(main.pid, web.mainPid());
        assertEquals("serving", web.statusText());
        assertEquals(0, web.restarts());
        int started = os.started.size();
        unitOs.adopted.get(main.pid).exit(ExitStatus.killed(Signals.SIGKILL));
        assertEquals(UnitState.AUTO_RESTART, web.state());
        advance(100);
        assertEquals(started + 1, os.started.size(), "restarted per Restart=always");
        assertEquals(1, web.restarts());
    }

    @Test
    void aStopAfterTheReexecSignalsTheMainProcessTakenAgain() {
        UnitService old = started(unit("/bin/web"));
        FakeProcess main = os.last("/bin/web");
        unitOs.existing.add(main.pid);

        UnitService web = resumed(old, unit("/bin/web"));
        web.stop();
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), unitOs.adopted.get(main.pid).signals);
        assertEquals(UnitState.STOP_SIGTERM, web.state());
        unitOs.adopted.get(main.pid).exit(ExitStatus.killed(Signals.SIGTERM));
        assertEquals(UnitState.DEAD, web.state());
    }

    @Test
    void aChangedUnitFileAppliesFromTheNextStartOnly() {
        UnitService old = started(unit("/bin/web").restart(Restart.ALWAYS));
        FakeProcess main = os.last("/bin/web");
        unitOs.existing.add(main.pid);

        UnitService web = resumed(old, unit("/bin/web2").restart(Restart.ALWAYS));
        assertEquals(main.pid, web.mainPid(), "the old process runs on");
        unitOs.adopted.get(main.pid).exit(ExitStatus.exited(1));
        advance(100);
        assertEquals("/bin/web2", os.last().argv().getFirst());
    }

    @Test
    void aMainPidThatIsAnotherProcessNowIsNotTakenAndTheRunEnds() {
        UnitService old = started(unit("/bin/web").restart(Restart.ALWAYS));
        FakeProcess main = os.last("/bin/web");
        unitOs.existing.add(main.pid);
        unitOs.startTicks.put(main.pid, 100L);
        UnitSnapshot state = ((Service.Result.Ready<UnitSnapshot>) old.snapshot()).value();
        // The process died during the exec and its pid went to another, which started later.
        unitOs.startTicks.put(main.pid, 900L);

        UnitService web = UnitService.create(unit("/bin/web").restart(Restart.ALWAYS).build(), os, unitOs, clock,
                listener, Optional.of(SOCKET));
        web.resume(state);
        assertTrue(unitOs.adopted.isEmpty(), "the other process is not taken");
        assertEquals(0, web.mainPid());
        assertTrue(lines.stream().anyMatch(l -> l.contains("is lost since the re-exec")), lines.toString());
        assertEquals(UnitState.AUTO_RESTART, web.state());
    }

    @Test
    void aRestartThatWasDueIsKeptAcrossTheReexec() {
        UnitService old = started(unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofSeconds(5)));
        os.last("/bin/web").exit(1);
        advance(2000);
        assertEquals(UnitState.AUTO_RESTART, old.state());
        int started = os.started.size();

        UnitService web = resumed(old, unit("/bin/web").restart(Restart.ALWAYS).restartSec(Duration.ofSeconds(5)));
        // The old daemon's timers end with its exec.
        old.exit();
        assertEquals(UnitState.AUTO_RESTART, web.state());
        advance(2900);
        assertEquals(started, os.started.size(), "not before it was due");
        advance(200);
        assertEquals(started + 1, os.started.size());
        assertEquals(UnitState.RUNNING, web.state());
        assertEquals(1, web.restarts());
    }

    @Test
    void aMainProcessReplacedByMainPidIsLetGoSoNothingWaitsForIt() {
        UnitService web = started(unit("/bin/wrapper").type(Type.NOTIFY).notifyAccess(NotifyAccess.MAIN));
        FakeProcess wrapper = os.last("/bin/wrapper");
        unitOs.existing.add(9000);
        unitOs.parents.put(9000, wrapper.pid);
        web.notify(wrapper.pid, ROOT, msg("MAINPID=9000", "READY=1"));
        assertEquals(9000, web.mainPid());
        assertEquals(List.of(wrapper), unitOs.released);
        assertTrue(web.snapshot() instanceof Service.Result.Ready<UnitSnapshot>);
    }

    @Test
    void aUnitWithAControlProcessIsNotHandedOver() {
        UnitService web = started(unit("/bin/web").commands(Phase.START_POST, List.of(cmd("/bin/post"))));
        assertTrue(web.snapshot() instanceof Service.Result.Busy<UnitSnapshot> b
                && b.why().contains("start-post") && b.why().contains("control process"), web.snapshot().toString());
        os.last("/bin/post").exit(0);
        assertTrue(web.snapshot() instanceof Service.Result.Ready<UnitSnapshot>);
    }
}
