package vigil.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.NotifyAccess;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.Type;
import vigil.model.UnitSpec.UnitCommand;

/**
 * Any datagram on a unit's notify socket: split into fields, then acted on by a running Type=notify unit, with no
 * exception. Fuzzed for a bounded time in {@code ./mvnw verify}; otherwise its seeds run as regression tests.
 */
class NotifyMessageFuzzTest {
    private static final UnitListener QUIET = new UnitListener() {
        @Override
        public void stateChanged(UnitService unit) {}

        @Override
        public void event(UnitService unit, UnitEvent event) {}

        @Override
        public void removed(UnitService unit) {}
    };

    @FuzzTest(maxDuration = "60s", maxExecutions = 500_000)
    void everyDatagramIsFieldsAUnitCanTake(byte[] input) {
        NotifyMessage message = NotifyMessage.parse(new String(input, StandardCharsets.UTF_8));
        for (Map.Entry<String, String> f : message.fields().entrySet()) {
            assertFalse(f.getKey().isEmpty());
            assertFalse(f.getKey().contains("=") || f.getKey().contains("\n") || f.getValue().contains("\n"),
                    f::toString);
        }
        if (message.isEmpty()) return;
        var os = new FakeProcesses();
        var clock = new VirtualClock();
        UnitService unit = UnitService.create(spec(), os, new FakeUnitOs(), clock, QUIET,
                Optional.of(Path.of("/run/vigil/notify/fuzz.service")));
        unit.start();
        int main = os.last().pid;
        // A sender other than root: what it says of other processes (MAINPID=) must be checked, not believed.
        assertTrue(unit.notify(main, SENDER_UID, Map.of("READY", "1")));
        unit.notify(main, SENDER_UID, message.fields());
        // Whatever it set off (a watchdog, a timeout) runs too.
        clock.advance(Duration.ofDays(1));
    }

    private static final int SENDER_UID = 1000;

    private static UnitSpec spec() {
        Command command = new Command(Path.of("/bin/serve"), List.of("/bin/serve"), Path.of("/"), Map.of());
        return UnitSpec.builder("fuzz.service", Path.of("/etc/systemd/system/fuzz.service"))
                .type(Type.NOTIFY).notifyAccess(NotifyAccess.ALL)
                .commands(Phase.START, List.of(new UnitCommand(command, env -> command.argv(), false)))
                .build();
    }
}
