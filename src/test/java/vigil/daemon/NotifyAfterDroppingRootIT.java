package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.Tools;

/**
 * #18's readiness trap: a root daemon whose control socket sits in a 0700 directory, and a Type=notify unit that
 * runs as nobody. Its notify socket must be where nobody can reach it, as systemd's /run/systemd/notify is.
 */
class NotifyAfterDroppingRootIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** The control socket, in a directory no one else may enter (DaemonProcess lets others search the sandbox). */
    private Path control() {
        return sandbox.resolve("private/run/control");
    }

    private Tools.Result vigil(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        try {
            return Tools.run(sandbox, Map.of("VIGIL_CONTROL", control().toString()), null, command);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aUnitRunningAsNobodyGetsReadyThoughTheControlSocketsDirectoryIsPrivate() throws Exception {
        Nobody.require();
        Files.createDirectories(control().getParent());
        Files.setPosixFilePermissions(control().getParent().getParent(), PosixFilePermissions.fromString("rwx------"));
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("dropper.service"), """
                [Service]
                Type=notify
                User=nobody
                ExecStart=/usr/bin/python3 -c "import os, socket, time; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(os.environ['NOTIFY_SOCKET']); s.send(b'READY=1'); time.sleep(1000)"
                """);
        daemon = DaemonProcess.start(sandbox, Map.of("VIGIL_CONTROL", control().toString()), "daemon", "--units",
                units.toString());
        Await.until("dropper.service active (daemon said: " + daemon.lines() + ")", WAIT,
                () -> vigil("is-active", "--quiet", "dropper.service").exit() == 0);
        Path notify = Path.of("/run/vigil/notify-" + daemon.pid());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(notify)));
        assertTrue(Files.exists(notify.resolve("dropper.service")));
        daemon.terminate(WAIT);
        assertFalse(Files.exists(notify), "the daemon's own notify directory goes with it");
    }
}
