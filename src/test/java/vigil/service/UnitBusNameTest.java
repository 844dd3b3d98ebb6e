package vigil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.Signals;
import vigil.service.FakeProcesses.FakeProcess;
import vigil.service.UnitState.Result;

/** {@code Type=dbus}: ready when {@code BusName=} has an owner, stopped when it loses it (systemd's service.c). */
class UnitBusNameTest {
    private static final String NAME = "org.example.Avahi";
    private final VirtualClock clock = new VirtualClock();
    private final FakeProcesses os = new FakeProcesses();
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

    private UnitService started(Type type, UnitSpec.Builder extra) {
        List<String> words = List.of("/usr/sbin/avahi-daemon");
        UnitCommand start = new UnitCommand(new Command(Path.of(words.getFirst()), words, Path.of("/"), Map.of()),
                env -> words, false);
        UnitSpec spec = extra.type(type).busName(NAME).commands(Phase.START, List.of(start)).build();
        UnitService unit = UnitService.create(spec, os, new FakeUnitOs(), clock, listener, Optional.empty());
        unit.start();
        return unit;
    }

    private static UnitSpec.Builder spec() {
        return UnitSpec.builder("avahi-daemon.service", Path.of("/lib/systemd/system/avahi-daemon.service"));
    }

    @Test
    void itIsActivatingUntilTheNameHasAnOwner() {
        UnitService unit = started(Type.DBUS, spec());
        assertEquals(UnitState.START, unit.state());
        unit.busNameOwner(false);
        assertEquals(UnitState.START, unit.state(), "no owner yet: still activating");
        unit.busNameOwner(true);
        assertEquals(UnitState.RUNNING, unit.state());
        assertTrue(lines.contains("ready: " + NAME + " is on the bus"), () -> "events: " + lines);
    }

    @Test
    void aNameThatNeverComesTimesTheStartOutAsForNotify() {
        UnitService unit = started(Type.DBUS, spec().timeouts(Optional.of(Duration.ofSeconds(5)),
                Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofSeconds(5))));
        clock.advance(Duration.ofSeconds(5));
        FakeProcess main = os.last();
        assertEquals(Signals.SIGTERM, main.signals.getFirst(), () -> "signals: " + main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.FAILED, unit.state());
        assertEquals(Result.TIMEOUT, unit.result());
    }

    @Test
    void theNameLostWhileRunningStopsTheUnitAsSystemdDoes() {
        UnitService unit = started(Type.DBUS, spec());
        unit.busNameOwner(true);
        FakeProcess main = os.last();
        unit.busNameOwner(false);
        assertTrue(lines.contains(NAME + " left the bus"), () -> "events: " + lines);
        assertEquals(Signals.SIGTERM, main.signals.getFirst(), () -> "signals: " + main.signals);
        main.killedBy(Signals.SIGTERM);
        assertEquals(UnitState.DEAD, unit.state());
        assertEquals(Result.SUCCESS, unit.result());
    }

    @Test
    void aUnitTakenOverByANewDaemonKeepsRunningThroughAReloadBeforeTheBusAnswers() {
        List<String> words = List.of("/bin/reload");
        UnitCommand reload = new UnitCommand(new Command(Path.of("/bin/reload"), words, Path.of("/"), Map.of()),
                env -> words, false);
        UnitService before = started(Type.DBUS, spec().commands(Phase.RELOAD, List.of(reload)));
        before.busNameOwner(true);
        int pid = before.mainPid();
        UnitSnapshot snapshot = ((Service.Result.Ready<UnitSnapshot>) before.snapshot()).value();
        FakeUnitOs newOs = new FakeUnitOs();
        newOs.existing.add(pid);
        UnitService after = UnitService.create(before.spec(), os, newOs, clock, listener, Optional.empty());
        after.resume(snapshot);
        assertEquals(UnitState.RUNNING, after.state());
        after.reload();
        os.last("/bin/reload").exit(0);
        assertEquals(UnitState.RUNNING, after.state(), "its name was owned when it was handed over");
    }

    @Test
    void otherTypesDoNotWaitForTheirBusName() {
        UnitService unit = started(Type.SIMPLE, spec());
        assertEquals(UnitState.RUNNING, unit.state());
        unit.busNameOwner(false);
        assertEquals(UnitState.RUNNING, unit.state());
        assertTrue(os.last().signals.isEmpty());
    }
}
