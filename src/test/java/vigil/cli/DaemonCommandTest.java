package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DaemonCommandTest {
    private static DaemonCommand plain(String... args) {
        return DaemonCommand.parsePlain(args);
    }

    /** What picocli makes of the same line, to check the fast path agrees with it. */
    private static DaemonCommand picocli(String... args) {
        DaemonCommand command = new DaemonCommand();
        new CommandLine(command).parseArgs(List.of(args).subList(1, args.length).toArray(String[]::new));
        return command;
    }

    @Test
    void plainLinesParseAsPicocliParsesThem() {
        for (String[] line : List.of(
                new String[] {"daemon", "/srv/a"},
                new String[] {"daemon", "/srv/a", "/srv/b"},
                new String[] {"daemon", "--control", "/run/c", "/srv/a"},
                new String[] {"daemon", "/srv/a", "--control=/run/c"},
                new String[] {"daemon", "--", "-odd-dir"},
                new String[] {"daemon", "--user-connections", "8", "--user-requests=5", "--user-buffers", "4096",
                        "/srv/a"})) {
            DaemonCommand fast = plain(line);
            DaemonCommand slow = picocli(line);
            assertEquals(slow.roots, fast.roots, String.join(" ", line));
            assertEquals(slow.control, fast.control, String.join(" ", line));
            assertEquals(slow.userConnections, fast.userConnections, String.join(" ", line));
            assertEquals(slow.userRequests, fast.userRequests, String.join(" ", line));
            assertEquals(slow.userBuffers, fast.userBuffers, String.join(" ", line));
        }
        assertEquals(8, plain("daemon", "--user-connections", "8", "/srv/a").userConnections);
        assertEquals(List.of(Path.of("-odd-dir")), plain("daemon", "--", "-odd-dir").roots);
    }

    @Test
    void anythingElseIsLeftToPicocli() {
        assertNull(plain("daemon"), "no directory: picocli says a DIR is required");
        assertNull(plain("daemon", "--help"));
        assertNull(plain("daemon", "--contrl", "/x", "/srv/a"), "a typo");
        assertNull(plain("daemon", "/srv/a", "--control"), "an option without its value");
        assertNull(plain("daemon", "--user-connections", "many", "/srv/a"), "not a number");
        assertNull(plain("daemon", "--user-services", "maybe", "/srv/a"), "neither yes, no nor a number");
    }

    @Test
    void userServicesAreAllowedRefusedOrCapped() {
        for (String value : List.of("yes", "no", "0", "7")) {
            String[] line = {"daemon", "--user-services", value, "/srv/a"};
            assertEquals(picocli(line).userServices, plain(line).userServices, value);
        }
        assertEquals(64, plain("daemon", "--user-services", "yes", "/srv/a").userServices);
        assertEquals(0, plain("daemon", "--user-services", "no", "/srv/a").userServices);
        assertEquals(7, plain("daemon", "--user-services=7", "/srv/a").userServices);
        var refused = assertThrows(CommandLine.ParameterException.class,
                () -> picocli("daemon", "--user-services", "-1", "/srv/a"));
        assertTrue(refused.getMessage().contains("--user-services takes yes, no or a number"), refused.getMessage());
    }
}
