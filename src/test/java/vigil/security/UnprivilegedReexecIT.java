package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** uid 65534 asks root's daemon to re-execute itself: refused, and nothing changes. Only root may. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UnprivilegedReexecIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void nobodyCannotReexecRootsDaemon() throws Exception {
        Nobody.require();
        Tools.require("socat", "socat");
        Nobody.letIn(sandbox);
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path web = service(root, "web", "exec sleep 1000");
        Path socket = sandbox.resolve("run/control");
        daemon = DaemonProcess.daemon(sandbox, root);
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long pid = awaitRunning(web, WAIT);

        Tools.Result reply = Nobody.run(sandbox, "{\"v\":1,\"id\":1,\"cmd\":\"daemon-reexec\"}\n", "socat", "-",
                "UNIX-CONNECT:" + socket);
        assertTrue(reply.output().contains("\"ok\":false") && reply.output().contains("permission denied"),
                reply.output());
        assertTrue(reply.output().contains("may re-execute the daemon"), reply.output());
        assertFalse(Procs.cmdline(daemon.pid()).contains("--reexec-state"), Procs.cmdline(daemon.pid()));
        assertEquals(pid, ServiceDirs.status(web).pid());
        assertEquals(0, daemon.countLines("re-executing"), String.join("\n", daemon.lines()));
    }
}
