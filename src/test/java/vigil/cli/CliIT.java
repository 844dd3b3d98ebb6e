package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** The vigil commands, run as a user would, against a real daemon: output, errors and exit codes. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CliIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path root;
    private Path socket;
    private DaemonProcess daemon;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
        socket = sandbox.resolve("run/control");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), root.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
    }

    private static List<String> java(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "vigil.cli.Main"));
        command.addAll(List.of(args));
        return command;
    }

    private Tools.Result vigil(String... args) throws Exception {
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", socket.toString()), null, java(args));
    }

    @Test
    void helpDocumentsTheExitCodes() throws Exception {
        Tools.Result help = vigil("--help");
        assertEquals(0, help.exit());
        for (String line : List.of("0  ok", "1  failure", "2  usage error", "3  not running", "4  unknown service")) {
            assertTrue(help.output().contains(line), "help says " + line + ":\n" + help.output());
        }
        for (String command : List.of("status", "start", "stop", "restart", "once", "kill", "signal", "pause", "cont",
                "wait", "add", "remove", "rescan", "shutdown", "events", "version", "daemon")) {
            assertTrue(help.output().contains("  " + command + " "), "help lists " + command);
        }
    }

    @Test
    void withoutADaemonStatusSaysSoAndExits3() throws Exception {
        Tools.Result status = vigil("status");
        assertEquals(3, status.exit(), status.output());
        assertTrue(status.output().contains("no daemon is listening on " + socket), status.output());
    }

    @Test
    void statusTableDetailAndExitCodes() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        Path idle = service(root, "idle", "exec sleep 1000");
        Files.createFile(idle.resolve("down"));
        startDaemon();
        long pid = awaitRunning(web, WAIT);
        // supervise/status shows the process as soon as it exists; "up" waits until its program runs.
        assertEquals(0, vigil("wait", "web", "--up", "--timeout", "20").exit());
        Tools.Result table = vigil("status");
        assertEquals(0, table.exit(), table.output());
        assertTrue(table.output().lines().anyMatch(l -> l.matches("web +up +" + pid + " +[0-9]+s +0 +-")),
                table.output());
        assertTrue(table.output().lines().anyMatch(l -> l.matches("idle +down +- +- +0 +-")), table.output());

        Tools.Result detail = vigil("status", "web");
        assertEquals(0, detail.exit());
        assertTrue(detail.output().startsWith("web: up (pid " + pid + ") for "), detail.output());
        assertTrue(detail.output().contains("directory: " + web), detail.output());

        assertEquals(3, vigil("status", "idle").exit(), "a service that is not running");
        Tools.Result unknown = vigil("status", "nope");
        assertEquals(4, unknown.exit());
        assertEquals("vigil: nope: no such service", unknown.output());
        Tools.Result json = vigil("status", "--json", "web");
        assertTrue(json.output().startsWith("[{\"name\":\"web\",\"state\":\"up\",\"pid\":" + pid), json.output());
    }

    @Test
    void stopAndStartWaitUntilDone() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(web, WAIT);
        Tools.Result stop = vigil("stop", "web");
        assertEquals(0, stop.exit(), stop.output());
        assertEquals("web: down", stop.output());
        assertFalse(Procs.running(pid), "the process is gone when stop returns");
        Tools.Result start = vigil("start", "web");
        assertEquals(0, start.exit(), start.output());
        assertTrue(start.output().matches("web: up \\(pid [0-9]+\\)"), start.output());
        Tools.Result killBoth = vigil("kill", "nothere", "web");
        assertEquals(4, killBoth.exit(), "the first failure's code: " + killBoth.output());
        assertTrue(killBoth.output().contains("vigil: nothere: no such service"), killBoth.output());
        assertEquals(4, vigil("restart", "nope").exit());
        Tools.Result badSignal = vigil("signal", "SIGNOPE", "web");
        assertEquals(2, badSignal.exit(), badSignal.output());
        assertEquals(2, vigil("wait", "web").exit(), "wait needs --up, --ready or --down");
        assertEquals(0, vigil("wait", "web", "--up", "--timeout", "5").exit());
        Tools.Result timeout = vigil("wait", "web", "--down", "--timeout", "0.2");
        assertEquals(1, timeout.exit());
        assertTrue(timeout.output().startsWith("vigil: web: not down after 0.2s"), timeout.output());
    }

    @Test
    void addRemoveAndCollisions() throws Exception {
        service(root, "web", "exec sleep 1000");
        startDaemon();
        Tools.Result add = vigil("add", "job", "--restart", "on-failure", "--env", "GREETING=hi", "--", "sh", "-c",
                "echo \"$GREETING\" > greeting; exec sleep 1000");
        assertEquals(0, add.exit(), add.output());
        Await.until("the job to write its greeting", WAIT, () -> Files.exists(sandbox.resolve("greeting")));
        Tools.Result collision = vigil("add", "web", "--", "sleep", "1");
        assertEquals(1, collision.exit());
        assertTrue(collision.output().contains("web: the name is taken (supervised from " + root.resolve("web")),
                collision.output());
        assertEquals(0, vigil("remove", "job").exit());
        assertEquals(4, vigil("status", "job").exit());
    }

    @Test
    void eventsFollowTheStreamAndShutdownEndsIt() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        awaitRunning(web, WAIT);
        ProcessBuilder builder = new ProcessBuilder(java("events", "web")).redirectErrorStream(true);
        builder.environment().put("VIGIL_CONTROL", socket.toString());
        Process events = builder.start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().start(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = in.readLine()) != null; ) lines.add(l);
            } catch (IOException ignored) {
                // The process ended.
            }
        });
        try {
            // The subscription is made once the client runs; each kill makes events until one is seen.
            Await.until("an event", WAIT, () -> {
                try {
                    vigil("kill", "web");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return lines.stream().anyMatch(l -> l.matches("[0-9:.]+ web: exited signal=SIGKILL .*"));
            });
            Tools.Result shutdown = vigil("shutdown");
            assertEquals(0, shutdown.exit(), shutdown.output());
            assertTrue(shutdown.output().contains("the daemon stopped 1 services and exited"), shutdown.output());
            assertEquals(0, daemon.awaitExit(WAIT));
            assertTrue(events.waitFor(20, TimeUnit.SECONDS), "events ends with the daemon");
            reader.join(5000);
            assertTrue(lines.stream().anyMatch(l -> l.matches("[0-9:.]+ web: stopped")), String.join("\n", lines));
        } finally {
            events.destroyForcibly();
        }
        assertEquals(0, ServiceDirs.status(web).pid(), "down when the daemon exits");
    }
}
