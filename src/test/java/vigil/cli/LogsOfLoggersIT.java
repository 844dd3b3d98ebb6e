package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/** {@code vigil logs} against a real daemon, for the logs Vigil does not write itself: a service's own logger's. */
class LogsOfLoggersIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern ISO_LINE = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z .*");

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Tools.Result vigil(String... args) throws Exception {
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null,
                Tools.command(System.getProperty("vigil.launcher"), args));
    }

    @Test
    void logsOfAServiceWithAnSvlogdLoggerReadsSvlogdsDirectoryWithItsStampsDecoded() throws Exception {
        Tools.require("svlogd", "runit");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "web", "echo \"hello from $$\"; exec sleep 1000");
        script(svc.resolve("log/run"), "mkdir -p ./main\nexec svlogd -t ./main 2>&1");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = awaitRunning(svc, WAIT);
        Path current = svc.resolve("log/main/current");
        Await.until("svlogd wrote the line", WAIT,
                () -> Files.exists(current) && read(current).contains("hello from " + pid));

        Tools.Result logs = vigil("logs", "web");
        assertEquals(0, logs.exit(), logs.output());
        List<String> lines = logs.output().lines().toList();
        assertEquals(1, lines.size(), logs.output());
        assertTrue(lines.getFirst().endsWith(" hello from " + pid), logs.output());
        assertTrue(ISO_LINE.matcher(lines.getFirst()).matches(), "the TAI64N stamp printed as a date: " + lines);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void aLoggerWhoseDirectoryCannotBeToldIsNamedWithItsRunScript() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "web", "exec sleep 1000");
        script(svc.resolve("log/run"), "exec logger -t web");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);

        Tools.Result logs = vigil("logs", "web");
        assertEquals(1, logs.exit(), logs.output());
        assertEquals("vigil: logs: web's logger is " + svc.resolve("log/run") + "; its output is wherever that writes",
                logs.output());
    }
}
