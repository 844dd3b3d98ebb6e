package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * Units started in dependency order by a real daemon, each once what it is ordered after is ready, and stopped in
 * reverse.
 */
class DependenciesIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path unit(String name, String text) throws Exception {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(dir.resolve(name), text.replace("@SANDBOX@", sandbox.toString()));
        return dir;
    }

    private List<String> events() {
        Path f = sandbox.resolve("events");
        try {
            return Files.exists(f) ? Files.readAllLines(f) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void whatRequiresANotifyUnitStartsOnceItIsReadyAndStopsBeforeIt() throws Exception {
        // db takes a while to be ready; app, listed first, records whether db had said so when it started. db
        // records when it is told to stop, app once it has stopped.
        Files.writeString(sandbox.resolve("app.sh"), """
                if test -e db.ready; then echo "app started after db was ready"
                else echo "app started before db was ready"; fi >> events
                exec sleep 1000
                """);
        Files.writeString(sandbox.resolve("db.sh"), """
                trap 'echo "db told to stop" >> events; exit 0' TERM
                sleep 1
                touch db.ready
                systemd-notify --ready
                sleep 1001 & wait
                """);
        unit("app.service", """
                [Unit]
                Requires=db.service
                After=db.service
                [Service]
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh app.sh
                ExecStopPost=/bin/sh -c 'echo "app stopped" >> events'
                """);
        Path units = unit("db.service", """
                [Service]
                Type=notify
                NotifyAccess=all
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh db.sh
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("app.service: running", WAIT);
        Await.until("app records its start", WAIT, () -> !events().isEmpty());
        assertEquals(List.of("app started after db was ready"), events());

        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(List.of("app started after db was ready", "app stopped", "db told to stop"), events());
    }

    @Test
    void daemonTargetStartsOnlyWhatThatTargetPullsIn() throws Exception {
        unit("multi-user.target", "[Unit]\nWants=a.service\n");
        unit("default.target", "[Unit]\nWants=b.service\n");
        unit("a.service", "[Service]\nExecStart=/bin/sleep 1010\n");
        unit("b.service", "[Service]\nExecStart=/bin/sleep 1011\n");
        Path units = unit("c.service", "[Service]\nExecStart=/bin/sleep 1012\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--target", "multi-user.target", "--units",
                units.toString());
        daemon.awaitLine("a.service: running", WAIT);
        assertTrue(vigil("status", "b").output().contains("inactive (dead)"), "default.target was not asked for");
        assertTrue(vigil("status", "c").output().contains("inactive (dead)"), "nothing wants c");
        assertEquals(0, vigil("start", "c").exit());
        daemon.awaitLine("c.service: running", WAIT);
    }

    @Test
    void aTargetThatDoesNotExistIsSaidAndNothingStarts() throws Exception {
        Path units = unit("a.service", "[Service]\nExecStart=/bin/sleep 1013\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--target", "nosuch.target", "--units",
                units.toString());
        daemon.awaitLine("nosuch.target: no such target in the unit directories; no unit started", WAIT);
        assertTrue(vigil("status", "a").output().contains("inactive (dead)"));
    }

    @Test
    void aFailingOrMissingRequirementKeepsTheDependentDownAndTheRestRuns() throws Exception {
        unit("db.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
        unit("app.service", "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/sleep 1014\n");
        unit("ghostly.service", "[Unit]\nRequires=ghost.service\n[Service]\nExecStart=/bin/sleep 1015\n");
        Path units = unit("other.service", "[Service]\nExecStart=/bin/sleep 1016\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("other.service: running", WAIT);
        daemon.awaitLine("app.service: not started: it needs db.service, whose start did not succeed", WAIT);
        daemon.awaitLine("default.target wants ghostly.service, which is left out: ghostly.service needs "
                + "ghost.service, which does not exist", WAIT);
        Tools.Result refused = vigil("start", "ghostly");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("ghostly.service: start refused: ghostly.service needs ghost.service, "
                + "which does not exist"), refused.output());
        Tools.Result failed = vigil("start", "app");
        assertNotEquals(0, failed.exit());
        assertTrue(failed.output().contains("app.service: its start job ended: dependency"), failed.output());
        assertEquals(0, daemon.countLines("app.service: running"));
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }
}
