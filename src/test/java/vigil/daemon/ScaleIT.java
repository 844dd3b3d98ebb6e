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

/** 5000 services in one tree (fewer if the open-files limit cannot hold them): all run, and all stop at TERM. */
class ScaleIT {
    /**
     * Each service holds 6 fds in Vigil (supervise lock, control and ok, a pidfd, its log pipe's two ends), and 7
     * while the first scan starts them all in one loop turn (the read end of its exec-error pipe, until read). An
     * unprivileged container cannot raise the hard limit (20000 here), and 5000 services need 35000.
     */
    private static final int FDS_PER_SERVICE = 7;
    private static final int SERVICES = (int) Math.min(5000, (hardOpenFilesLimit() - 1000) / FDS_PER_SERVICE);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** This JVM's hard RLIMIT_NOFILE, which the daemon inherits and can raise only as far as privilege allows. */
    private static long hardOpenFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (!line.startsWith("Max open files")) continue;
                String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
                return hard.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(hard);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no open-files limit in /proc/self/limits");
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
