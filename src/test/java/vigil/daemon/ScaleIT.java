package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;

/**
 * 5000 services in one tree: all run, and all stop at TERM. Each one's output is captured, as always. Under the
 * 20000-fd limit root cannot raise here, that fits only if a service costs Vigil three fds (two for supervise/, the
 * read end of its log pipe), with pidfds kept to a fifth of the limit.
 */
class ScaleIT {
    private static final int SERVICES = 5000;

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void fiveThousandServicesStartAndStop() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        for (int i = 0; i < SERVICES; i++) ServiceDirs.service(root, "s" + i, "exec sleep 100000");
        daemon = DaemonProcess.daemon(sandbox, root);
        daemon.awaitLine("supervising " + SERVICES + " services", Duration.ofSeconds(120));
        Await.until(SERVICES + " services running", Duration.ofSeconds(180), () -> {
            long running = Procs.children(daemon.pid()).stream()
                    .filter(p -> Procs.cmdline(p).equals("sleep 100000")).count();
            return running == SERVICES;
        });
        assertEquals(0, daemon.terminate(Duration.ofSeconds(180)));
        assertEquals(0, Procs.children(daemon.pid()).size());
        for (int i = 0; i < SERVICES; i += 499) {
            ServiceDirs.Status s = ServiceDirs.status(root.resolve("s" + i));
            assertEquals(0, s.state(), "s" + i + " is down");
        }
    }
}
