package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitDown;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;
import static vigil.testing.ServiceDirs.status;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;

/** runsvdir semantics with inotify: entries take effect at once; identity is (device, inode). */
class ScanningIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path root() throws Exception {
        return Files.createDirectories(sandbox.resolve("sv"));
    }

    @Test
    void servicesPresentAtStartAreStartedAndDotDirectoriesIgnored() throws Exception {
        Path root = root();
        Path a = service(root, "a", "exec sleep 1000");
        Path hidden = service(root, ".hidden", "exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = awaitRunning(a, WAIT);
        assertTrue(Procs.cmdline(pid).startsWith("sleep 1000"), Procs.cmdline(pid));
        daemon.awaitLine("supervising 1 services", WAIT);
        assertFalse(Files.exists(hidden.resolve("supervise")), "a dot-directory is no service");
    }

    @Test
    void aNewDirectoryStartsAtOnceAndARemovedOneStops() throws Exception {
        Path root = root();
        daemon = DaemonProcess.daemon(sandbox, root);
        daemon.awaitLine("supervising 0 services", WAIT);
        Path staging = Files.createDirectories(sandbox.resolve("staging"));
        Path b = service(staging, "b", "exec sleep 1000");
        Files.move(b, root.resolve("b"));
        long pid = awaitRunning(root.resolve("b"), WAIT);

        Path gone = Files.move(root.resolve("b"), sandbox.resolve("b-gone"));
        Await.until("the removed service's process to end", WAIT, () -> !Procs.running(pid));
        awaitDown(gone, WAIT);
        daemon.awaitLine("b: removed from .*; stopping", WAIT);
    }

    @Test
    void aRenameKeepsTheSameProcess() throws Exception {
        Path root = root();
        Path old = service(root, "old", "exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = awaitRunning(old, WAIT);
        Files.move(old, root.resolve("new"));
        daemon.awaitLine("new: renamed from old", WAIT);
        assertTrue(Procs.running(pid), "still the same process");
        assertEquals(pid, status(root.resolve("new")).pid());
        assertEquals(1, daemon.countLines("started"), "nothing restarted");
        Procs.running(pid);
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
        long again = vigil.testing.ServiceDirs.awaitRestarted(root.resolve("new"), pid, WAIT);
        assertEquals(root.resolve("new").toRealPath(),
                Files.readSymbolicLink(Path.of("/proc", Long.toString(again), "cwd")),
                "the restarted process runs in the renamed directory");
    }

    @Test
    void aRenameOntoANameStillHeldByAStoppingServiceStartsOnceThatOneHasStopped() throws Exception {
        Path root = root();
        Path release = sandbox.resolve("release");
        // web's stop lasts until the test creates release.
        service(root, "web", "trap 'while [ ! -e " + release + " ]; do sleep 0.05; done; exit 0' TERM; "
                + "while :; do sleep 0.1; done");
        Path next = service(root, "next", "exec sleep 1002");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(root.resolve("web"), WAIT);
        long nextPid = awaitRunning(next, WAIT);

        Files.move(root.resolve("web"), sandbox.resolve("web.gone"));
        daemon.awaitLine("web: removed from .*; stopping", WAIT);
        Files.move(next, root.resolve("web"));
        daemon.awaitLine("web: renamed from next, but its new name is still held by a service that is stopping: "
                + "restarting under the new name", WAIT);
        Await.until("next's process stopped", WAIT, () -> !Procs.running(nextPid));

        Files.createFile(release);
        // Until the old web has stopped, its supervise/ writes may still land at its old path, where next's
        // directory now is: the process table, not supervise/status, says when the new web runs.
        long pid = Await.value(() -> "next's run, now as web; the daemon said:\n" + String.join("\n", daemon.lines()),
                WAIT, () -> Procs.descendants(daemon.pid()).stream()
                .filter(p -> p != nextPid && Procs.cmdline(p).startsWith("sleep 1002")).findFirst().orElse(null));
        Await.until("web's status naming it", WAIT, () -> status(root.resolve("web")) != null
                && status(root.resolve("web")).pid() == pid);
    }

    @Test
    void aSymlinkedServiceIsFollowedAndRetargetingMakesANewService() throws Exception {
        Path root = root();
        Path first = service(sandbox.resolve("elsewhere"), "one", "exec sleep 1001");
        Path second = service(sandbox.resolve("elsewhere"), "two", "exec sleep 1002");
        Files.createSymbolicLink(root.resolve("link"), first);
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = awaitRunning(first, WAIT);
        Path tmpLink = root.resolve(".link.tmp");
        Files.createSymbolicLink(tmpLink, second);
        Files.move(tmpLink, root.resolve("link"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        long newPid = awaitRunning(second, WAIT);
        Await.until("the first target's service to stop", WAIT, () -> !Procs.running(pid));
        assertTrue(Procs.cmdline(newPid).contains("1002"));
    }

    @Test
    void aDirectoryWrittenPieceByPieceStartsTheMomentRunIsCompleteWithoutAFailure() throws Exception {
        Path root = root();
        daemon = DaemonProcess.daemon(sandbox, root);
        daemon.awaitLine("supervising 0 services", WAIT);
        Path dir = Files.createDirectories(root.resolve("slow"));
        daemon.awaitLine("slow: waiting: ", WAIT);
        Path run = dir.resolve("run");
        Files.writeString(run, "#!/bin/sh\nexec sleep 1000\n");
        Await.until("the daemon to notice run is not executable", WAIT,
                () -> daemon.countLines("slow: waiting: ") >= 1);
        assertNull(status(dir), "not started while run is not executable");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        awaitRunning(dir, WAIT);
        assertEquals(0, daemon.countLines("slow: .*(exited|cannot start)"), String.join("\n", daemon.lines()));
    }

    @Test
    void termStopsEveryServiceAndExitsZero() throws Exception {
        Path root = root();
        Path a = service(root, "a", "exec sleep 1000");
        Path b = service(root, "b", "trap 'echo got-term > term-seen; exit 0' TERM; touch trapping;"
                + " while :; do sleep 0.05; done");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pa = awaitRunning(a, WAIT);
        awaitRunning(b, WAIT);
        // Running is not yet trapping: a TERM before the trap is set would kill the shell outright.
        Await.until("b's TERM trap set", WAIT, () -> Files.exists(b.resolve("trapping")));
        assertEquals(0, daemon.terminate(WAIT));
        assertFalse(Procs.running(pa));
        assertEquals("got-term\n", Files.readString(b.resolve("term-seen")));
        assertEquals(0, status(a).state());
    }
}
