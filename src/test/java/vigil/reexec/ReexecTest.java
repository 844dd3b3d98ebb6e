package vigil.reexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line a re-exec runs: the JVM's own, with the state's fd after the subcommand, once. */
class ReexecTest {
    private static final List<String> LAUNCHED = List.of("/jdk/bin/java", "-XX:+UseSerialGC", "-jar",
            "/opt/vigil/target/vigil.jar", "daemon", "--log-dir", "/var/log/x", "--", "/etc/service");

    @Test
    void theStateGoesRightAfterTheSubcommand() throws IOException {
        assertEquals(List.of("/jdk/bin/java", "-XX:+UseSerialGC", "-jar", "/opt/vigil/target/vigil.jar", "daemon",
                "--reexec-state=12", "--log-dir", "/var/log/x", "--", "/etc/service"), Reexec.withState(LAUNCHED, 12));
    }

    @Test
    void anEarlierReexecsStateIsReplacedNotAddedTo() throws IOException {
        List<String> once = Reexec.withState(LAUNCHED, 12);
        List<String> twice = Reexec.withState(once, 7);
        assertEquals(Reexec.withState(LAUNCHED, 7), twice);
        assertEquals(LAUNCHED, Reexec.withState(twice, -1));
    }

    @Test
    void theInitIsReexecutedAsTheInit() throws IOException {
        List<String> init = List.of("/jdk/bin/java", "-jar", "/vigil.jar", "init", "--boot", "/etc/vigil/boot");
        assertEquals(List.of("/jdk/bin/java", "-jar", "/vigil.jar", "init", "--reexec-state=3", "--boot",
                "/etc/vigil/boot"), Reexec.withState(init, 3));
    }

    @Test
    void aJvmNotStartedAsTheLauncherDoesIsRefused() {
        var e = assertThrows(IOException.class, () -> Reexec.withState(
                List.of("/jdk/bin/java", "-cp", "classes", "vigil.cli.Main", "daemon", "/sv"), 3));
        assertTrue(e.getMessage().contains("not started with -jar"), e.getMessage());
        e = assertThrows(IOException.class, () -> Reexec.withState(
                List.of("/jdk/bin/java", "-jar", "/vigil.jar", "status"), 3));
        assertTrue(e.getMessage().contains("not daemon or init"), e.getMessage());
    }
}
