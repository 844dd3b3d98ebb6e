package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.ControlPaths;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.Tools;

/**
 * Service directories on a read-only file system (a read-only bind mount the test makes, so it runs as root only):
 * their supervise/ state goes under the runtime directory, or wherever a {@code supervise} symlink points.
 */
class ReadOnlyServiceDirIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path mounted;
    private DaemonProcess daemon;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (daemon != null) daemon.close();
        } finally {
            if (mounted != null) Tools.run(sandbox, "umount", mounted.toString());
        }
    }

    private void mountReadOnly(Path dir) throws Exception {
        assumeTrue(ControlPaths.currentUid() == 0, "a bind mount needs root");
        Tools.Result bind = Tools.run(sandbox, "mount", "--bind", dir.toString(), dir.toString());
        assumeTrue(bind.exit() == 0, "cannot bind-mount here: " + bind.output());
        mounted = dir;
        Tools.Result ro = Tools.run(sandbox, "mount", "-o", "remount,bind,ro", dir.toString());
        assertEquals(0, ro.exit(), ro.output());
        assertFalse(Files.isWritable(dir), "the mount is read-only");
    }

    @Test
    void supervisedWithItsStateUnderTheRuntimeDirectoryOrWhereItsSymlinkPoints() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("ro/sv"));
        Path plain = service(root, "plain", "exec sleep 1000");
        script(plain.resolve("log/run"), "exec cat > /dev/null");
        Path linked = service(root, "linked", "exec sleep 1000");
        Path runtime = sandbox.resolve("run");
        Files.createSymbolicLink(linked.resolve("supervise"), runtime.resolve("supervise/linked"));
        mountReadOnly(sandbox.resolve("ro"));

        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", runtime.resolve("control").toString(),
                root.toString());
        long pid = awaitRunning(linked, WAIT);
        Tools.Result sv = Tools.run(root, Tools.require("sv", "runit").toString(), "status", "./linked");
        assertTrue(sv.output().matches("run: \\./linked: \\(pid " + pid + "\\) [0-9]+s"), sv.output());

        Path fallback = runtime.resolve("supervise/plain");
        long plainPid = Await.value("plain running, as its fallback status says", WAIT, () -> {
            try {
                byte[] status = Files.readAllBytes(fallback.resolve("status"));
                long p = ByteBuffer.wrap(status, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                return status.length == 20 && status[19] == 1 && Procs.running(p) ? p : null;
            } catch (IOException notYet) {
                return null;
            }
        });
        assertEquals(plainPid + "\n", Files.readString(fallback.resolve("pid")));
        daemon.awaitLine("plain: keeping supervise/ in " + fallback, WAIT);
        daemon.awaitLine("plain/log: keeping supervise/ in " + fallback.resolve("log"), WAIT);
        assertEquals(20, Files.size(fallback.resolve("status")));
        // The message comes as the directory is made; the first status is written right after.
        Await.until("the logger's fallback status", WAIT, () -> Files.exists(fallback.resolve("log/status")));
        assertFalse(Files.exists(plain.resolve("supervise")));
    }
}
