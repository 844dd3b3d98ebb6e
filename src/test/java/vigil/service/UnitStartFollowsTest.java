package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Restart;
import vigil.model.UnitSpec.UnitCommand;

/**
 * {@link UnitService#startFollows} as the daemon sees it when the unit is down: what tells
 * FileDescriptorStorePreserve=restart to keep the fd store across a restart, and to release it at a stop for good.
 */
class UnitStartFollowsTest {
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
    /** The unit's state and startFollows() at each change that leaves it down (inactive, failed or auto-restart). */
    private final List<String> downs = new ArrayList<>();
    private final UnitListener listener = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {
            if (unit.state() == UnitState.DEAD || unit.state() == UnitState.FAILED
                    || unit.state() == UnitState.AUTO_RESTART) {
                downs.add(unit.state().subState() + " " + unit.startFollows());
            }
        }

        @Override
        public void event(UnitService unit, UnitEvent event) {}

        @Override
        public void removed(UnitService unit) {}
    };

    private UnitService started(Restart restart) {
        List<String> argv = List.of("/bin/web");
        UnitCommand start = new UnitCommand(new Command(Path.of("/bin/web"), argv, Path.of("/"), Map.of()),
                env -> argv, false);
        UnitService unit = UnitService.create(UnitSpec.builder("web.service", Path.of("/etc/web.service"))
                .commands(Phase.START, List.of(start)).restart(restart).build(), os, new FakeUnitOs(), clock,
                listener, Optional.empty());
        unit.start();
        return unit;
    }

    @Test
    void anOperatorsRestartIsFollowedByAStartAndAStopIsNot() {
        UnitService web = started(Restart.NO);
        web.restart();
        os.last("/bin/web").exit(0);
        assertEquals(List.of("dead true"), downs);
        assertEquals(UnitState.RUNNING, web.state());
        web.stop();
        os.last("/bin/web").exit(0);
        assertEquals(List.of("dead true", "dead false"), downs);
    }

    @Test
    void aRestartJobsStopAndAnAutomaticRestartAreFollowedByAStart() {
        UnitService web = started(Restart.ALWAYS);
        web.stopForRestart();
        os.last("/bin/web").exit(0);
        assertEquals(List.of("dead true"), downs);
        web.start();
        os.last("/bin/web").exit(1);
        assertEquals(List.of("dead true", "auto-restart true"), downs.subList(0, 2));
    }
}
