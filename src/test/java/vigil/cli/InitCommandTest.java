package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** vigil init's line parsed without picocli (PID 1's start-up): the same result as picocli's, or none. */
class InitCommandTest {
    /** What picocli makes of the same line. */
    private static InitCommand picocli(String... args) {
        InitCommand command = new InitCommand();
        new CommandLine(command).parseArgs(List.of(args).subList(1, args.length).toArray(String[]::new));
        return command;
    }

    @Test
    void plainLinesParseAsPicocliParsesThem() {
        for (String[] line : List.of(
                new String[] {"init"},
                new String[] {"init", "/etc/service"},
                new String[] {"init", "--units", "/etc/vigil/units", "/lib/systemd/system"},
                new String[] {"init", "--units", "/u1", "--boot", "/b", "/sv", "--units=/u2"},
                new String[] {"init", "--boot", "/b", "--shutdown=/s", "--control", "/c", "--target", "multi-user"
                        + ".target", "--log-dir", "/l", "--", "-odd"},
                new String[] {"init", "--watchdog-device", "/dev/watchdog0", "--watchdog-device", "/dev/watchdog1",
                        "--watchdog-sec", "20", "--watchdog-reboot-sec=0", "/sv"},
                new String[] {"init", "--reexec-state=5", "/sv"})) {
            InitCommand fast = InitCommand.parsePlain(line);
            InitCommand slow = picocli(line);
            String what = String.join(" ", line);
            assertEquals(slow.roots, fast.roots, what);
            assertEquals(slow.units, fast.units, what);
            assertEquals(slow.boot, fast.boot, what);
            assertEquals(slow.shutdown, fast.shutdown, what);
            assertEquals(slow.control, fast.control, what);
            assertEquals(slow.target, fast.target, what);
            assertEquals(slow.logDir, fast.logDir, what);
            assertEquals(slow.reexecState, fast.reexecState, what);
            assertEquals(slow.watchdog.devices, fast.watchdog.devices, what);
            assertEquals(slow.watchdog.runtimeSeconds, fast.watchdog.runtimeSeconds, what);
            assertEquals(slow.watchdog.rebootSeconds, fast.watchdog.rebootSeconds, what);
        }
    }

    @Test
    void anythingElseIsLeftToPicocli() {
        assertNull(InitCommand.parsePlain(new String[] {"init", "--help"}));
        assertNull(InitCommand.parsePlain(new String[] {"init", "--units"}));
        assertNull(InitCommand.parsePlain(new String[] {"init", "--watchdog-sec", "soon"}));
        assertNull(InitCommand.parsePlain(new String[] {"init", "--bot", "/b"}));
    }
}
