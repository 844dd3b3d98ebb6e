package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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

/**
 * The systemctl and journalctl personalities: vigil through symlinks of those names, first on PATH, driven by
 * Debian's own deb-systemd-helper and deb-systemd-invoke (init-system-helpers) in a temporary root (DPKG_ROOT:
 * every path they touch is under it), as a package's maintainer scripts run them.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SystemctlIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private Path root;
    private Path socket;
    private Path bin;
    private DaemonProcess daemon;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(sandbox.resolve("root"));
        socket = sandbox.resolve("run/control");
        bin = Files.createDirectories(sandbox.resolve("bin"));
        Path launcher = Path.of(System.getProperty("vigil.launcher")).toAbsolutePath();
        Files.createSymbolicLink(bin.resolve("systemctl"), launcher);
        Files.createSymbolicLink(bin.resolve("journalctl"), launcher);
        Path lib = Files.createDirectories(root.resolve("lib/systemd/system"));
        Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.writeString(lib.resolve("hello.service"), "[Unit]\nDescription=Hello\n[Service]\n"
                + "ExecStart=/bin/sh -c 'echo hello from the service; exec sleep 1000'\n"
                + "[Install]\nWantedBy=multi-user.target\n");
        Files.writeString(lib.resolve("multi-user.target"), "[Unit]\nDescription=Multi-User\n");
        Files.writeString(lib.resolve("empty.target"), "[Unit]\nDescription=Nothing\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--units",
                root.resolve("etc/systemd/system").toString(), root.resolve("lib/systemd/system").toString(),
                "--target", "empty.target");
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
    }

    private Tools.Result run(String... command) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        env.put("VIGIL_CONTROL", socket.toString());
        env.put("DPKG_ROOT", root.toString());
        // deb-systemd-helper runs only from a maintainer script, which dpkg tells by this.
        env.put("DPKG_MAINTSCRIPT_PACKAGE", "hello");
        // The child's PATH is not where Java looks the program up: the personalities are named by their paths.
        List<String> line = new java.util.ArrayList<>(List.of(command));
        if (Files.exists(bin.resolve(command[0]))) line.set(0, bin.resolve(command[0]).toString());
        try {
            return Tools.run(sandbox, env, null, line);
        } catch (Exception e) {
            throw new AssertionError("cannot run " + command[0], e);
        }
    }

    @Test
    void debiansHelpersEnableStartStopAndDisableAUnit() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/deb-systemd-helper")),
                "needs init-system-helpers: apt-get install init-system-helpers");
        startDaemon();
        Path wants = root.resolve("etc/systemd/system/multi-user.target.wants/hello.service");

        assertEquals(1, run("systemctl", "is-enabled", "hello.service").exit());
        Tools.Result enable = run("deb-systemd-helper", "enable", "hello.service");
        assertEquals(0, enable.exit(), enable.output());
        assertTrue(Files.isSymbolicLink(wants), "deb-systemd-helper made the link");
        Tools.Result enabled = run("systemctl", "--system", "is-enabled", "--", "hello.service");
        assertEquals("enabled", enabled.output().strip());
        assertEquals(0, enabled.exit());
        assertEquals(3, run("systemctl", "--quiet", "is-active", "hello.service").exit(), "not started yet");

        Tools.Result start = run("deb-systemd-invoke", "start", "hello.service");
        assertEquals(0, start.exit(), start.output());
        Tools.Result active = run("systemctl", "is-active", "hello.service");
        assertEquals("active", active.output().strip());
        assertEquals(0, active.exit());
        Await.until("the service's line in its log", WAIT, () -> run("journalctl", "-u", "hello.service",
                "--no-pager", "-o", "cat").output().contains("hello from the service"));

        Tools.Result restart = run("deb-systemd-invoke", "restart", "hello.service");
        assertEquals(0, restart.exit(), restart.output());
        Tools.Result stop = run("deb-systemd-invoke", "stop", "hello.service");
        assertEquals(0, stop.exit(), stop.output());
        assertEquals(3, run("systemctl", "is-active", "hello.service").exit());

        Tools.Result disable = run("deb-systemd-helper", "disable", "hello.service");
        assertEquals(0, disable.exit(), disable.output());
        assertFalse(Files.exists(wants, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link is gone");
        assertEquals("disabled", run("systemctl", "is-enabled", "hello.service").output().strip());
        // deb-systemd-invoke starts no disabled unit.
        run("deb-systemd-invoke", "start", "hello.service");
        assertEquals(3, run("systemctl", "is-active", "hello.service").exit());
    }

    @Test
    void systemctlsVerbsFlagsAndExitCodes() throws Exception {
        startDaemon();
        Tools.Result nosuch = run("systemctl", "is-active", "nosuch.service");
        assertEquals(4, nosuch.exit(), nosuch.output());
        Tools.Result start = run("systemctl", "start", "nosuch.service");
        assertEquals(5, start.exit(), "systemctl's 'not found' for a job: " + start.output());
        assertEquals(1, run("systemctl", "frobnicate").exit());

        Tools.Result now = run("systemctl", "enable", "--now", "hello.service");
        assertEquals(0, now.exit(), now.output());
        assertEquals(0, run("systemctl", "is-active", "hello").exit());
        Tools.Result show = run("systemctl", "show", "-p", "ActiveState", "--value", "hello.service");
        assertEquals("active", show.output().strip());
        assertEquals(0, run("systemctl", "--no-pager", "reload-or-restart", "hello.service").exit());
        assertEquals(0, run("systemctl", "is-active", "hello.service").exit());
        assertTrue(run("systemctl", "cat", "hello.service").output().contains("Description=Hello"));
        assertTrue(run("systemctl", "list-unit-files", "--no-legend").output().lines()
                .anyMatch(l -> l.matches("hello.service +enabled")));
        assertTrue(run("systemctl", "list-units", "--no-legend").output().contains("hello.service"));

        Tools.Result mask = run("systemctl", "mask", "hello.service");
        assertEquals(0, mask.exit(), mask.output());
        Path link = root.resolve("etc/systemd/system/hello.service");
        assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(link));
        assertEquals("masked", run("systemctl", "is-enabled", "hello.service").output().strip());
        assertTrue(run("systemctl", "list-unit-files").output().lines()
                .anyMatch(l -> l.matches("hello.service +masked")));
        assertEquals(0, run("systemctl", "unmask", "hello.service").exit());
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));

        Tools.Result disable = run("systemctl", "disable", "--now", "hello.service");
        assertEquals(0, disable.exit(), disable.output());
        assertEquals(3, run("systemctl", "is-active", "hello.service").exit());
        assertEquals(0, run("systemctl", "daemon-reload").exit());
        Tools.Result viaVigil = run(System.getProperty("vigil.launcher"), "systemctl", "is-enabled", "hello.service");
        assertEquals("disabled", viaVigil.output().strip());
    }
}
