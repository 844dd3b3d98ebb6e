package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.ResourceLimits;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Restart;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.resources.BadResourceValue;
import vigil.resources.ResourceSettings;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.UnitState.Result;

/** A unit's resource control in its state machine: the cgroups its processes join, the OOM kill, OOMPolicy=. */
class UnitResourcesTest {
    private static final Path SOURCE = Path.of("/etc/systemd/system/web.service");

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

    private static ResourceLimits limits(String... assignments) throws BadResourceValue {
        var settings = new ResourceSettings(new ResourceSettings.Machine(1L << 30, 4096));
        for (String a : assignments) settings.set(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        return settings.build();
    }

    private UnitService started(ResourceLimits limits, Restart restart) {
        Command command = new Command(Path.of("/bin/hog"), List.of("/bin/hog"), Path.of("/"), Map.of());
        UnitSpec spec = UnitSpec.builder("web.service", SOURCE)
                .commands(Phase.START, List.of(UnitCommand.of(command, false)))
                .restart(restart).resources(limits).build();
        UnitService unit = UnitService.create(spec, os, unitOs, clock, listener, Optional.empty());
        unit.start();
        return unit;
    }

    @Test
    void itsProcessesJoinItsResourceCgroups() throws Exception {
        started(limits("MemoryMax=50M"), Restart.NO);
        assertEquals(List.of(Path.of("/sys/fs/cgroup/memory/vigil.slice/web.service")), os.last().request.cgroups());
        os.last().exit(0);
        assertEquals(List.of("prepared web.service", "released web.service"), unitOs.resourceLog);
    }

    @Test
    void anOomKillOfTheMainProcessIsTheResultOomKill() throws Exception {
        UnitService unit = started(limits("MemoryMax=50M"), Restart.NO);
        FakeProcess main = os.last();
        unitOs.oomKills = 1;
        main.killedBy(Signals.SIGKILL);
        assertEquals(UnitState.FAILED, unit.state());
        assertEquals(Result.OOM_KILL, unit.result());
        assertTrue(lines.contains("a process of the unit was killed by the OOM killer"), lines.toString());
    }

    @Test
    void anOomKillBeforeThisRunIsNotCounted() throws Exception {
        unitOs.oomKills = 3;
        UnitService unit = started(limits("MemoryMax=50M"), Restart.NO);
        os.last().killedBy(Signals.SIGKILL);
        assertEquals(Result.SIGNAL, unit.result());
    }

    @Test
    void withOomPolicyContinueTheOomKillIsOnlySaid() throws Exception {
        UnitService unit = started(limits("MemoryMax=50M", "OOMPolicy=continue"), Restart.NO);
        unitOs.oomKills = 1;
        os.last().killedBy(Signals.SIGKILL);
        assertEquals(Result.SIGNAL, unit.result());
        assertTrue(lines.contains("a process of the unit was killed by the OOM killer"), lines.toString());
    }

    @Test
    void aCgroupThatCannotBeMadeFailsTheStartSayingWhy() throws Exception {
        unitOs.failResources = "cannot set up its resource control: web.service: cannot make cgroup /x: Read-only";
        UnitService unit = started(limits("MemoryMax=50M"), Restart.NO);
        assertEquals(UnitState.FAILED, unit.state());
        assertEquals(Result.RESOURCES, unit.result());
        assertTrue(lines.stream().anyMatch(l -> l.contains("cannot make cgroup /x: Read-only")), lines.toString());
    }

    // ---- an OOM kill seen while the unit runs (the daemon's watch of its memory cgroup) ----

    @Test
    void anOomKillOfAnotherProcessWhileTheMainOneRunsStopsTheUnitWithOomKill() throws Exception {
        UnitService unit = started(limits("MemoryMax=50M"), Restart.NO);
        FakeProcess main = os.last();
        assertEquals(UnitState.RUNNING, unit.state());
        unitOs.oomKills = 1;
        unit.oomKilled(1);
        assertEquals(UnitState.STOP_SIGTERM, unit.state(), "OOMPolicy=stop, the default: the unit is stopped");
        assertEquals(List.of(Signals.SIGTERM, Signals.SIGCONT), main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.FAILED, unit.state());
        assertEquals(Result.OOM_KILL, unit.result());
        assertEquals(1, lines.stream().filter(l -> l.equals("a process of the unit was killed by the OOM killer"))
                .count(), "said once: " + lines);
    }

    @Test
    void withOomPolicyContinueAnOomKillWhileRunningIsOnlySaid() throws Exception {
        UnitService unit = started(limits("MemoryMax=50M", "OOMPolicy=continue"), Restart.NO);
        unitOs.oomKills = 1;
        unit.oomKilled(1);
        assertEquals(UnitState.RUNNING, unit.state());
        assertTrue(lines.contains("a process of the unit was killed by the OOM killer"), lines.toString());
    }

    @Test
    void withOomPolicyKillTheWholeCgroupIsKilledAtOnce() throws Exception {
        os.trackInCgroups();
        UnitService unit = started(limits("MemoryMax=50M", "OOMPolicy=kill"), Restart.NO);
        unitOs.oomKills = 1;
        unit.oomKilled(1);
        assertEquals("kill", os.group("web.service").calls.getFirst());
        assertEquals(UnitState.STOP_SIGKILL, unit.state());
        os.last().killedBy(Signals.SIGKILL);
        os.group("web.service").deliver();
        assertEquals(Result.OOM_KILL, unit.result());
    }

    @Test
    void anOomKillSeenAtTheMainProcessDeathIsNotActedOnAgain() throws Exception {
        UnitService unit = started(limits("MemoryMax=50M"), Restart.ALWAYS);
        unitOs.oomKills = 1;
        os.last().killedBy(Signals.SIGKILL);
        assertEquals(Result.OOM_KILL, unit.result());
        UnitState after = unit.state();
        unit.oomKilled(1);
        assertEquals(after, unit.state());
        assertEquals(1, lines.stream().filter(l -> l.equals("a process of the unit was killed by the OOM killer"))
                .count(), lines.toString());
    }
}
