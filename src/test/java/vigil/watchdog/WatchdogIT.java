package vigil.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * {@code vigil daemon --watchdog-device} against a stand-in: the kernel's softdog cannot be loaded on these machines
 * (no modprobe, no module tree), so a FIFO takes the device's place and this test reads what a driver would get:
 * the pets, and the magic close. The FIFO takes no WDIOC_SETTIMEOUT (ENOTTY), which the daemon says once.
 */
class WatchdogIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    private int reader = -1;
    private final StringBuilder received = new StringBuilder();

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            // Left stopped by a failed assertion, it could not act on close's TERM.
            if (Procs.stopped(daemon.pid())) daemon.signal("CONT");
            daemon.close();
        }
        Fds.close(reader);
    }

    /** What the daemon wrote to the stand-in so far; reads without blocking. */
    private String received() {
        byte[] buffer = new byte[256];
        try {
            for (int n; (n = Fds.read(reader, buffer, 0, buffer.length)) > 0; ) {
                received.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.US_ASCII));
            }
        } catch (OsException e) {
            throw new AssertionError(e);
        }
        return received.toString();
    }

    private long pets() {
        return received().chars().filter(c -> c == '.').count();
    }

    @Test
    void petsFromTheLoopStopsWhenTheLoopStopsAndWritesTheMagicCloseOnACleanExit() throws Exception {
        Path device = sandbox.resolve("watchdog");
        assertEquals(0, Tools.run(sandbox, "mkfifo", device.toString()).exit());
        // Read end first, non-blocking: the daemon's non-blocking open for writing needs a reader.
        reader = Fds.open(device, Fds.O_RDONLY | Fds.O_NONBLOCK | Fds.O_CLOEXEC, 0);
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        ServiceDirs.service(root, "idle", "exec sleep 1000");

        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir", DaemonProcess.logDir(sandbox)
                .toString(), "--watchdog-device", device.toString(), "--watchdog-sec", "2", "--watchdog-reboot-sec",
                "60", root.toString());

        // Pets at arming, then every second (half of 2s).
        Await.until("three pets", WAIT, () -> pets() >= 3);
        daemon.awaitLine("watchdog " + device + ": takes no timeout \\(ENOTTY", WAIT);

        // A loop that does not run pets nothing: SIGSTOP stands for a hung loop.
        daemon.signal("STOP");
        Await.until("the daemon stopped", WAIT, () -> Procs.stopped(daemon.pid()));
        long before = pets();
        // Not a wait for something to happen: three petting intervals in which nothing may.
        long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < quietUntil) {
            assertEquals(before, pets(), "a pet came from a stopped daemon");
            Thread.onSpinWait();
        }
        daemon.signal("CONT");
        Await.until("petting again", WAIT, () -> pets() > before);

        assertEquals(0, daemon.terminate(WAIT), String.join("\n", daemon.lines()));
        String all = received();
        assertTrue(all.endsWith(".V"), "the re-arm's pet, then the magic close last: " + all);
        assertEquals(1, daemon.countLines("ENOTTY"), "said once: " + daemon.lines());
        daemon.awaitLine("watchdog: re-armed with 60s for the shutdown", WAIT);
    }
}
