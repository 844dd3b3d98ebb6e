package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/** Status says why: the last error in words, what was refused at load and why, crash loops, units' uptime. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusWhyIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private Path root;
    private Path units;
    private Path socket;
    private DaemonProcess daemon;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
        units = Files.createDirectories(sandbox.resolve("units"));
        socket = sandbox.resolve("run/control");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), root.toString(),
                "--units", units.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
    }

    private Tools.Result vigil(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "vigil.cli.Main"));
        command.addAll(List.of(args));
        try {
            return Tools.run(sandbox, Map.of("VIGIL_CONTROL", socket.toString()), null, command);
        } catch (Exception e) {
            throw new AssertionError("cannot run vigil " + args[0], e);
        }
    }

    @Test
    void anAddThatCannotExecFailsWithTheExecErrorWhichStatusKeeps() throws Exception {
        startDaemon();
        Tools.Result add = vigil("add", "bad", "--", "/nonexistent/cmd");
        assertNotEquals(0, add.exit(), add.output());
        assertTrue(add.output().contains("No such file or directory"), add.output());
        Tools.Result status = vigil("status", "bad");
        assertTrue(status.output().contains("last error: cannot start: ") && status.output().contains(
                "No such file or directory"), status.output());
        Tools.Result table = vigil("status");
        assertTrue(table.output().lines().anyMatch(l -> l.startsWith("bad ") && l.contains("No such file")),
                table.output());
    }

    @Test
    void refusedDirectoriesAndUnitsAreListedWithWhy() throws Exception {
        Path norun = Files.createDirectories(root.resolve("norun"));
        Files.writeString(norun.resolve("run"), "#!/bin/sh\nexec sleep 1000\n");
        service(root, "badsig", "exec sleep 1000");
        Files.writeString(root.resolve("badsig/down-signal"), "NOPE\n");
        service(root, "web", "exec sleep 1000");
        Files.writeString(units.resolve("broken.service"), "[Service]\nExecStart=/bin/sleep 1000\n"
                + "Restart=sometimes\n");
        Files.writeString(units.resolve("fine.service"), "[Service]\nExecStart=/bin/sleep 1000\n");
        startDaemon();
        Await.until("fine.service to be active", WAIT, () -> vigil("is-active", "fine.service").exit() == 0);
        Tools.Result table = vigil("status");
        String out = table.output();
        assertTrue(out.lines().findFirst().orElse("").matches("2 running, 0 failed, 3 refused"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("norun +refused .*run is not executable.*")), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("badsig +refused .*down-signal.*NOPE.*")), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("broken.service +refused .*Restart=sometimes.*")), out);
        // A unit's uptime is its time active.
        assertTrue(out.lines().anyMatch(l -> l.matches("fine.service +active +[0-9]+ +[0-9]+s .*")), out);

        Tools.Result one = vigil("status", "norun");
        assertEquals(3, one.exit(), one.output());
        assertTrue(one.output().startsWith("norun: refused\n  reason:    ") && one.output().contains("not executable"),
                one.output());
        assertEquals(3, vigil("status", "broken").exit());
    }

    @Test
    void aServiceThatKeepsCrashingIsMarked() throws Exception {
        service(root, "flaky", "sleep 0.1; exit 1");
        startDaemon();
        Await.until("flaky to be marked as a crash loop", WAIT, () -> vigil("status").output().lines()
                .anyMatch(l -> l.matches("flaky +crash-loop .*")));
        Tools.Result detail = vigil("status", "flaky");
        assertTrue(detail.output().contains("in the last minute: a crash loop)"), detail.output());
        assertTrue(vigil("status").output().lines().findFirst().orElse("").endsWith("1 in a crash loop"));
    }
}
