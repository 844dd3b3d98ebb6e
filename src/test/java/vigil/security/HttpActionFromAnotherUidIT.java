package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * Over {@code --http unix:PATH} the caller's uid comes from SO_PEERCRED and the control socket's rules apply: uid
 * 65534 may read the metrics but not stop root's service (403), which root may (200).
 */
class HttpActionFromAnotherUidIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;

    @Test
    void anotherUidCannotStopRootsServiceOverTheUnixSocket() throws Exception {
        Nobody.require();
        Path curl = Tools.require("curl", "curl");
        Nobody.letIn(sandbox);
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        Path socket = sandbox.resolve("http.sock");
        try (DaemonProcess daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--http", "unix:" + socket, root.toString())) {
            daemon.awaitLine(".*http: serving .* on unix:.*", WAIT);
            ServiceDirs.awaitRunning(web, WAIT);
            String stop = "http://localhost/api/services/web/stop";

            Tools.Result metrics = Nobody.run(sandbox, null, curl.toString(), "-s", "-o", "/dev/null", "-w",
                    "%{http_code}", "--unix-socket", socket.toString(), "http://localhost/metrics");
            assertEquals("200", metrics.output().strip(), metrics.toString());
            Tools.Result refused = Nobody.run(sandbox, null, curl.toString(), "-s", "-w", "\n%{http_code}",
                    "--unix-socket", socket.toString(), "-X", "POST", stop);
            assertTrue(refused.output().strip().endsWith("403"), refused.toString());
            assertTrue(refused.output().contains("permission denied"), refused.toString());
            assertTrue(ServiceDirs.status(web).running(), "uid 65534 stopped root's service");

            Tools.Result done = Tools.run(sandbox, Map.of(), null, List.of(curl.toString(), "-s", "-o", "/dev/null",
                    "-w", "%{http_code}", "--unix-socket", socket.toString(), "-X", "POST", stop));
            assertEquals("200", done.output().strip(), done.toString());
            ServiceDirs.awaitDown(web, WAIT);
        }
    }

    @Test
    void anotherUidSeesNoLineOfRootsServiceLogOnThePage() throws Exception {
        Nobody.require();
        Path curl = Tools.require("curl", "curl");
        Nobody.letIn(sandbox);
        Path root = sandbox.resolve("sv");
        Path secret = ServiceDirs.service(root, "secret", "echo password=hunter2; exec sleep 1000");
        Path socket = sandbox.resolve("http.sock");
        try (DaemonProcess daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--http", "unix:" + socket, root.toString())) {
            daemon.awaitLine(".*http: serving .* on unix:.*", WAIT);
            ServiceDirs.awaitRunning(secret, WAIT);
            // Root's page shows the line, so it is in the log by then.
            vigil.testing.Await.until("root's page shows the service's log", WAIT, () -> {
                try {
                    return Tools.run(sandbox, Map.of(), null, List.of(curl.toString(), "-s", "--unix-socket",
                            socket.toString(), "http://localhost/")).output().contains("password=hunter2");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            Tools.Result page = Nobody.run(sandbox, null, curl.toString(), "-s", "--unix-socket", socket.toString(),
                    "http://localhost/");
            assertTrue(page.output().contains("secret"), "the service is listed: " + page);
            assertTrue(!page.output().contains("hunter2"), "uid 65534 read root's service log: " + page);
        }
    }
}
