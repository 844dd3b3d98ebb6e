package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.os.Ending;
import vigil.os.Errno;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Signals;

class StagesTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Path BOOT = Path.of("/etc/vigil/boot"), SHUTDOWN = Path.of("/etc/vigil/shutdown");
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final FakeInitOs os = new FakeInitOs();
    private final List<String> said = new ArrayList<>();
    private final Stages stages = new Stages(os, said::add);

    @Test
    void aScriptRunsToItsEndWhileOrphansAreReaped() {
        os.script(BOOT, 3 * SECOND, 0);
        os.child(SECOND, Set.of());
        os.child(2 * SECOND, Set.of());

        assertEquals(Optional.of(ExitStatus.exited(0)), stages.runScript(BOOT, List.of(BOOT.toString()),
                Optional.empty()));
        assertEquals(3 * SECOND, os.nanoTime(), "waited for the script, not just for the first child to exit");
        assertEquals(List.of(), os.reap().exited(), "the orphans that exited meanwhile were reaped too");
        assertEquals(List.of(), said);
    }

    @Test
    void aScriptOverItsLimitIsLeftBehind() {
        os.script(SHUTDOWN, Long.MAX_VALUE, 0);

        assertEquals(Optional.empty(), stages.runScript(SHUTDOWN, List.of(SHUTDOWN.toString(), "poweroff"),
                Optional.of(Duration.ofSeconds(90))));
        assertEquals(90 * SECOND, os.nanoTime());
        assertEquals(List.of("start /etc/vigil/shutdown poweroff"), os.calls);
        assertEquals(List.of("/etc/vigil/shutdown: still running after 90s; going on without it"), said);
    }

    @Test
    void aScriptThatCannotStartIsReported() {
        assertEquals(Optional.empty(), stages.runScript(BOOT, List.of(BOOT.toString()), Optional.empty()));
        assertEquals(1, said.size());
        assertTrue(said.getFirst().startsWith("/etc/vigil/boot: cannot run it: "), said.toString());
    }

    @Test
    void processesThatStopOnTermAreNotKilled() {
        os.child(Long.MAX_VALUE, Set.of());
        os.child(Long.MAX_VALUE, Set.of());

        stages.stopEverything(GRACE, GRACE);

        assertEquals(List.of("signal every process SIGTERM", "signal every process SIGCONT"), os.calls);
        assertEquals(List.of("sent TERM to every process left"), said);
        assertEquals(0, os.nanoTime(), "no grace period was waited out");
    }

    @Test
    void processesStillThereAfterTheGraceAreKilled() {
        os.child(Long.MAX_VALUE, Set.of());
        os.child(Long.MAX_VALUE, Set.of(Signals.SIGTERM));

        stages.stopEverything(GRACE, GRACE);

        assertEquals(List.of("signal every process SIGTERM", "signal every process SIGCONT",
                "signal every process SIGKILL"), os.calls);
        assertEquals(5 * SECOND, os.nanoTime());
        assertEquals(List.of("sent TERM to every process left",
                "sent KILL to the processes still there after 5s"), said);
        assertFalse(os.reap().childrenLeft(), "both are gone");
    }

    @Test
    void withNoProcessLeftThereIsNothingToStop() {
        stages.stopEverything(GRACE, GRACE);

        assertEquals(List.of("signal every process SIGTERM"), os.calls);
        assertEquals(List.of(), said);
    }

    @Test
    void theEndSyncsThenAsksTheKernelForTheEnding() {
        stages.decide(Ending.REBOOT);
        assertThrows(FakeInitOs.BlockedForever.class, stages::end);

        assertEquals(List.of("sync", "reboot reboot"), os.calls);
        assertEquals(List.of("syncing disks; reboot"), said);
    }

    @Test
    void ifTheKernelRefusesTheInitStaysUpReaping() {
        os.rebootFailure = new OsException("reboot", Errno.EPERM);
        int orphan = os.child(SECOND, Set.of());

        // The fake throws where the real init would wait forever: once the orphan is reaped.
        stages.decide(Ending.POWER_OFF);
        assertThrows(FakeInitOs.BlockedForever.class, stages::end);

        assertEquals(List.of("sync", "reboot poweroff"), os.calls);
        assertEquals(2, said.size());
        assertTrue(said.get(1).startsWith("cannot poweroff: "), said.toString());
        assertTrue(said.get(1).endsWith("; staying up, reaping orphans"), said.toString());
        assertEquals(SECOND, os.nanoTime(), "orphan " + orphan + " was waited for and reaped");
        assertFalse(os.reap().childrenLeft());
    }

    @Test
    void theFirstSignalDuringAScriptDecidesTheEndingAndTheScriptRunsOn() {
        os.script(BOOT, 3 * SECOND, 0);
        os.signalAt(SECOND, Signals.SIGTERM);
        os.signalAt(2 * SECOND, Signals.SIGINT);

        assertEquals(Optional.of(ExitStatus.exited(0)), stages.runScript(BOOT, List.of(BOOT.toString()),
                Optional.empty()));
        assertEquals(3 * SECOND, os.nanoTime());
        assertEquals(List.of("got TERM: poweroff next", "got INT: already on the way to poweroff"), said);
        stages.decide(Ending.REBOOT);
        assertEquals(Optional.of(Ending.POWER_OFF), stages.ending(), "a signal decided first");
    }

    @Test
    void signalsLeftOverAreForgotten() {
        os.signalAt(0, Signals.SIGTERM);
        stages.forgetSignals();
        os.script(BOOT, SECOND, 0);
        stages.runScript(BOOT, List.of(BOOT.toString()), Optional.empty());
        assertEquals(List.of(), said);
        assertEquals(Optional.empty(), stages.ending());
    }

    @Test
    void withNothingDecidedTheSystemHalts() {
        assertThrows(FakeInitOs.BlockedForever.class, stages::end);
        assertEquals(List.of("sync", "reboot halt"), os.calls);
    }

    @Test
    void aContainersInitThatMayNotRebootExitsWithItsCode() {
        os.rebootFailure = new OsException("reboot", Errno.EPERM);
        os.machineInit = false;
        stages.decide(Ending.REBOOT);
        stages.exitWith(3, () -> os.calls.add("disarm"));

        FakeInitOs.Exited exited = assertThrows(FakeInitOs.Exited.class, stages::end);

        assertEquals(3, exited.code);
        assertEquals(List.of("sync", "reboot reboot", "disarm", "exit 3"), os.calls);
        assertTrue(said.get(1).endsWith("; a container's init: exiting 3"), said.toString());
    }

    /** tini's: the container's exit code is its critical service's, not the SIGINT that reboot(2) would give. */
    @Test
    void aContainersInitThatPowersOffExitsWithTheCriticalServicesCodeWithoutReboot() {
        os.machineInit = false;
        stages.decide(Ending.POWER_OFF);
        stages.exitWith(3, () -> os.calls.add("disarm"));

        FakeInitOs.Exited exited = assertThrows(FakeInitOs.Exited.class, stages::end);

        assertEquals(3, exited.code);
        assertEquals(List.of("sync", "disarm", "exit 3"), os.calls);
        assertEquals(List.of("syncing disks; poweroff", "a container's init: exiting 3"), said);
    }

    @Test
    void aContainersInitRebootsThroughTheKernelSoThatItsRuntimeSeesAReboot() {
        os.machineInit = false;
        stages.decide(Ending.REBOOT);
        stages.exitWith(3, () -> os.calls.add("disarm"));

        assertThrows(FakeInitOs.BlockedForever.class, stages::end);

        assertEquals(List.of("sync", "reboot reboot"), os.calls);
    }

    @Test
    void eachSignalAsksForItsEnding() {
        assertEquals(Optional.of(Ending.POWER_OFF), EndingSignals.forSignal(Signals.SIGTERM));
        assertEquals(Optional.of(Ending.POWER_OFF), EndingSignals.forSignal(Signals.SIGUSR2));
        assertEquals(Optional.of(Ending.POWER_OFF), EndingSignals.forSignal(Signals.SIGPWR));
        assertEquals(Optional.of(Ending.REBOOT), EndingSignals.forSignal(Signals.SIGINT));
        assertEquals(Optional.of(Ending.HALT), EndingSignals.forSignal(Signals.SIGUSR1));
        assertEquals(Optional.empty(), EndingSignals.forSignal(Signals.SIGHUP));
        for (int signal : EndingSignals.SIGNALS) {
            assertTrue(EndingSignals.forSignal(signal).isPresent(), Signals.name(signal));
        }
    }
}
