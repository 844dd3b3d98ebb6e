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
import vigil.testing.DaemonProcess;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** systemctl's try-restart: what runs is restarted, what is down stays down; units and directories alike. */
class TryRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void restartsWhatRunsAndLeavesWhatIsDownDown() throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("up.service"), "[Service]\nExecStart=/bin/sleep 1001\n");
        Files.writeString(units.resolve("idle.service"), "[Service]\nExecStart=/bin/sleep 1002\n");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path web = ServiceDirs.service(root, "web", "exec sleep 1003");
        Path quiet = ServiceDirs.service(root, "quiet", "exec sleep 1004");
        Files.createFile(quiet.resolve("down"));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir", DaemonProcess.logDir(sandbox)
                .toString(), root.toString(), "--units", units.toString());
        daemon.awaitLine("up.service: running", WAIT);
        daemon.awaitLine("idle.service: running", WAIT);
        long webPid = ServiceDirs.awaitRunning(web, WAIT);
        assertEquals(0, vigil("stop", "idle").exit());
        String upPid = mainPid("up.service");

        Tools.Result r = vigil("try-restart", "up", "idle", "web", "quiet");
        assertEquals(0, r.exit(), r.output());

        assertNotEquals(upPid, mainPid("up.service"), "up.service ran: it is restarted");
        assertEquals("0", mainPid("idle.service"), "idle.service was stopped: it stays down");
        assertNotEquals(webPid, ServiceDirs.awaitRestarted(web, webPid, WAIT), "web ran: it is restarted");
        ServiceDirs.Status q = ServiceDirs.status(quiet);
        assertTrue(q == null || q.pid() == 0, "quiet was down: it stays down");
    }

    private String mainPid(String unit) throws Exception {
        Tools.Result r = vigil("show", unit, "-p", "MainPID", "--value");
        assertEquals(0, r.exit(), r.output());
        return r.output().strip();
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }
}
