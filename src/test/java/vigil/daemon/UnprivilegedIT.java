package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.DaemonProcess;

/** {@code vigil daemon ~/sv} for a user who is not root: his services, his state, and clear errors. */
class UnprivilegedIT {
    private static final int NOBODY = 65534;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private static void run(String... command) throws Exception {
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor(), String.join(" ", command));
    }

    @Test
    void aUserWhoIsNotRootSupervisesHisOwnTree() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to make a user's tree");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = Files.createDirectories(sandbox.resolve("home/sv"));
        Path mine = service(root, "mine", "exec sleep 1000");
        Path runtime = Files.createDirectories(sandbox.resolve("home/run"));
        run("chown", "-R", NOBODY + ":" + NOBODY, sandbox.resolve("home").toString());
        // A directory the user cannot read: reported, and the rest carries on.
        Path closed = service(root, "closed", "exec sleep 1000");
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));

        daemon = DaemonProcess.start(sandbox, Map.of("XDG_RUNTIME_DIR", runtime.toString(),
                        "VIGIL_CONTROL", runtime.resolve("vigil/control").toString()),
                List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"),
                "daemon", root.toString());
        long pid = awaitRunning(mine, WAIT);
        assertTrue(Files.readString(Path.of("/proc", Long.toString(pid), "status")).contains("Uid:\t" + NOBODY),
                "the service runs as the user who runs Vigil");
        assertEquals(NOBODY, Files.getAttribute(mine.resolve("supervise/status"), "unix:uid"));
        daemon.awaitLine("closed: .*Permission denied", WAIT);
        assertTrue(daemon.alive());
        assertEquals(0, daemon.terminate(WAIT));
    }
    @Test
    void aHomeThatCannotBeMadeIsNamedWithWhatWentWrong() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to make a user's tree");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = Files.createDirectories(sandbox.resolve("home/sv"));
        Path mine = service(root, "mine", "exec sleep 1000");
        Path runtime = Files.createDirectories(sandbox.resolve("home/run"));
        run("chown", "-R", NOBODY + ":" + NOBODY, sandbox.resolve("home").toString());
        // nobody's HOME as Debian sets it: the default log directory lies below a directory no one may make.
        daemon = DaemonProcess.start(sandbox, Map.of("XDG_RUNTIME_DIR", runtime.toString(), "HOME", "/nonexistent",
                        "VIGIL_LOG_DIR", "", "VIGIL_CONTROL", runtime.resolve("vigil/control").toString()),
                List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"),
                "daemon", root.toString());
        daemon.awaitLine("cannot open Vigil's own log, so its messages go to stderr only: /nonexistent: "
                + "Permission denied$", WAIT);
        awaitRunning(mine, WAIT);
        assertEquals(0, daemon.terminate(WAIT));
    }
}
