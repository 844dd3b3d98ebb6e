package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.script;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/** Critical services under a plain {@code vigil daemon}: its exit code, and what status shows. */
class CriticalServicesIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void theDaemonExitsWithTheCodeOfTheCriticalServiceThatEndedForGood() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path up = sandbox.resolve("other-up");
        script(root.resolve("other/run"), "touch " + up + "; exec sleep 1000");
        script(root.resolve("app/run"), "until [ -e " + up + " ]; do sleep 0.05; done; exit 6");
        script(root.resolve("app/finish"), "exit 125");
        Files.writeString(root.resolve("app/critical"), "");

        daemon = DaemonProcess.daemon(sandbox, root);

        assertEquals(6, daemon.awaitExit(WAIT), String.join("\n", daemon.lines()));
        daemon.awaitLine("app \\(critical\\) exited 6, so the daemon exits 6; stopping 2 services", WAIT);
    }

    @Test
    void statusShowsTheMarkOfADirectoryAndOfAUnit() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("app/run"), "exec sleep 1000");
        Files.writeString(root.resolve("app/critical"), "");
        script(root.resolve("plain/run"), "exec sleep 1000");
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("db.service"), """
                [Service]
                ExecStart=/bin/sleep 1000
                X-Vigil-Critical=yes
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString(), "--units", units.toString());
        daemon.awaitLine("running 1 units", WAIT);
        daemon.awaitLine("supervising 2 services", WAIT);

        String launcher = System.getProperty("vigil.launcher");
        Map<String, String> env = Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString());
        Tools.Result app = Tools.run(sandbox, env, null, List.of(launcher, "status", "app"));
        Tools.Result plain = Tools.run(sandbox, env, null, List.of(launcher, "status", "plain"));
        Tools.Result db = Tools.run(sandbox, env, null, List.of(launcher, "status", "db.service"));

        assertTrue(app.output().contains("critical") && app.output().contains("yes (its end for good"),
                app.output());
        assertTrue(!plain.output().contains("critical"), plain.output());
        assertTrue(db.output().contains("Critical") && db.output().contains("yes (its end for good"), db.output());
        assertTrue(daemon.alive(), "a critical service that runs ends nothing");
    }
}
