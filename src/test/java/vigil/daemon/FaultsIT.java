package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;
import static vigil.testing.ServiceDirs.status;

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
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;

/** Shortages and readiness under a real daemon. */
class FaultsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void runningOutOfFileDescriptorsIsRetriedWithBackoffAndHarmsNoOne() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        List<Path> services = new ArrayList<>();
        for (int i = 0; i < 20; i++) services.add(service(root, String.format("s%02d", i), "exec sleep 1000"));
        // About 20 fds for the JVM itself, Vigil's own log and the control socket's reserve, and about 8 per running
        // service (supervise/'s lock and FIFOs, a pidfd, its log pipe's read end, and its log directory with current
        // and lock, each log reached through its directory's fd): room for some services, not all.
        daemon = DaemonProcess.start(sandbox, Map.of(), List.of("prlimit", "--nofile=80:80"),
                "daemon", root.toString());
        daemon.awaitLine("Too many open files; retrying in 1s", WAIT);
        // supervise/ is written by a background thread, a moment after the services start.
        Await.until("5 services running", WAIT, () -> running(services).size() >= 5);
        List<Path> running = running(services);
        assertTrue(running.size() < 20, "not all fit");
        assertTrue(daemon.alive());

        // Free some fds, and leave 9 services, which fit: the waiting ones start on a later retry, at most one
        // backoff cap (60 s) away. How many run by now varies, so running ones go first, then waiting ones.
        List<Path> removed = new ArrayList<>(running);
        for (Path s : services) if (!removed.contains(s)) removed.add(s);
        removed = removed.subList(0, 11);
        for (Path s : removed) Files.move(s, sandbox.resolve("removed-" + s.getFileName()));
        for (Path s : services) {
            if (!removed.contains(s)) awaitRunning(s, Duration.ofSeconds(90));
        }
        assertEquals(0, daemon.countLines("internal error"), String.join("\n", daemon.lines()));
    }

    private static List<Path> running(List<Path> services) {
        return services.stream().filter(s -> {
            ServiceDirs.Status st = status(s);
            return st != null && st.running();
        }).toList();
    }

    @Test
    void notificationFdReadinessIsReported() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "n", "read go < go-fifo; echo >&5; exec sleep 1000");
        Files.writeString(svc.resolve("notification-fd"), "5\n");
        assertEquals(0, new ProcessBuilder("mkfifo", svc.resolve("go-fifo").toString()).start().waitFor());
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        daemon.awaitLine("n: started", WAIT);
        assertEquals(0, daemon.countLines("n: ready"), "not ready before it says so");
        Files.writeString(svc.resolve("go-fifo"), "go\n");
        daemon.awaitLine("n: ready", WAIT);
    }

    @Test
    void aCheckScriptIsTheReadinessProbe() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "c", "exec sleep 1000");
        script(svc.resolve("check"), "test -f ready-now");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        daemon.awaitLine("c: started", WAIT);
        Files.writeString(svc.resolve("ready-now"), "");
        daemon.awaitLine("c: ready", WAIT);
        assertTrue(Procs.running(status(svc).pid()));
    }
}
