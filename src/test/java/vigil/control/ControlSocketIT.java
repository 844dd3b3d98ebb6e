package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitDown;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Children;
import vigil.os.Signals;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.RawControl;

/** The control socket of a real daemon: the protocol, transient services, and clients that misbehave. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ControlSocketIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path root;
    private Path socket;
    private DaemonProcess daemon;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
        socket = sandbox.resolve("run/control");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Already closed by the daemon.
            }
        }
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), root.toString());
        Await.until("the daemon to answer on its control socket", WAIT, () -> {
            try (RawControl probe = new RawControl(socket)) {
                return Boolean.TRUE.equals(probe.call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"));
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    private RawControl connect() throws IOException {
        RawControl c = new RawControl(socket);
        opened.add(c);
        return c;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> only(Map<String, Object> statusReply) {
        List<Object> services = (List<Object>) statusReply.get("services");
        assertEquals(1, services.size(), statusReply.toString());
        return (Map<String, Object>) services.getFirst();
    }

    private static void assertError(String code, Map<String, Object> reply) {
        assertNotNull(reply, "a reply");
        assertEquals(false, reply.get("ok"), reply.toString());
        assertEquals(code, reply.get("error"), reply.toString());
        assertTrue(reply.get("message") instanceof String m && !m.isEmpty(), reply.toString());
    }

    @Test
    void helloAndStatus() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(web, WAIT);
        RawControl c = connect();
        Map<String, Object> hello = c.call("{\"v\":1,\"id\":\"a\",\"cmd\":\"hello\"}");
        assertEquals(true, hello.get("ok"));
        assertEquals("a", hello.get("id"));
        assertEquals(1L, hello.get("protocol"));
        assertEquals((long) ControlPaths.currentUid(), hello.get("uid"));
        assertEquals(daemon.pid(), hello.get("pid"));
        // supervise/status shows the process as soon as it exists; "up" waits until its program runs.
        assertEquals(true, c.call("{\"v\":1,\"cmd\":\"wait\",\"name\":\"web\",\"until\":\"up\",\"timeout\":20}")
                .get("ok"));
        Map<String, Object> web1 = only(c.call("{\"v\":1,\"id\":2,\"cmd\":\"status\",\"names\":[\"web\"]}"));
        assertEquals("up", web1.get("state"));
        assertEquals(pid, web1.get("pid"));
        assertEquals("up", web1.get("want"));
        assertEquals(web.toString(), web1.get("directory"));
        assertEquals(false, web1.get("transient"));
        assertError("unknown-service", c.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"nope\"]}"));
    }

    @Test
    void badRequestsGetClearErrorsAndTheConnectionGoesOn() throws Exception {
        service(root, "web", "exec sleep 1000");
        startDaemon();
        RawControl c = connect();
        String[] bad = {"{nope", "[1,2]", "{\"cmd\":\"status\"}", "{\"v\":2,\"cmd\":\"status\"}",
            "{\"v\":1,\"cmd\":\"explode\"}", "{\"v\":1,\"cmd\":\"status\",\"colour\":\"red\"}",
            "{\"v\":1,\"cmd\":\"stop\"}", "{\"v\":1,\"cmd\":\"stop\",\"name\":7}",
            "{\"v\":1,\"cmd\":\"signal\",\"name\":\"web\",\"signal\":\"SIGNOPE\"}",
            "{\"v\":1,\"cmd\":\"wait\",\"name\":\"web\",\"until\":\"sometime\"}", "\"\\ud800" + "[".repeat(50)};
        for (String request : bad) {
            Map<String, Object> reply = c.call(request);
            assertError("bad-request", reply);
        }
        assertTrue(((String) c.call("{\"v\":1,\"cmd\":\"status\",\"colour\":\"red\"}").get("message"))
                .contains("colour"), "the message names the unknown field");
        assertEquals(true, c.call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"), "the connection still works");
        assertTrue(daemon.alive());
    }

    @Test
    void aTenMegabyteLineIsRefusedAndTheConnectionClosed() throws Exception {
        startDaemon();
        RawControl big = connect();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                byte[] chunk = new byte[1 << 20];
                Arrays.fill(chunk, (byte) 'x');
                for (int i = 0; i < 10; i++) big.write(chunk);
                big.write("\n");
            } catch (IOException expected) {
                // The daemon closes the connection part way through.
            }
        });
        Map<String, Object> reply = big.readJson();
        assertError("too-long", reply);
        assertNull(big.readLine(), "then the connection is closed");
        writer.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(true, connect().call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"));
    }

    @Test
    void aClientStalledInTheMiddleOfALineHoldsNobodyUp() throws Exception {
        service(root, "web", "exec sleep 1000");
        startDaemon();
        RawControl stalled = connect();
        stalled.write("{\"v\":1,\"id\":1,\"cmd\":\"sta");
        RawControl other = connect();
        assertEquals(true, other.call("{\"v\":1,\"cmd\":\"status\"}").get("ok"));
        stalled.write("tus\"}\n");
        Map<String, Object> late = stalled.readJson();
        assertEquals(true, late.get("ok"));
        assertEquals(1L, late.get("id"));
    }

    @Test
    void aThousandClientsAtOnce() throws Exception {
        startDaemon();
        List<RawControl> clients = new ArrayList<>();
        for (int i = 0; i < 1000; i++) clients.add(connect());
        for (int i = 0; i < clients.size(); i++) clients.get(i).write("{\"v\":1,\"id\":" + i + ",\"cmd\":\"hello\"}\n");
        for (int i = 0; i < clients.size(); i++) {
            Map<String, Object> reply = clients.get(i).readJson();
            assertEquals((long) i, reply.get("id"));
            assertEquals(true, reply.get("ok"));
        }
    }

    @Test
    void aSubscriberThatNeverReadsIsDroppedAndNobodyElseNotices() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        awaitRunning(web, WAIT);
        RawControl lazy = connect();
        assertEquals(true, lazy.call("{\"v\":1,\"cmd\":\"subscribe\"}").get("ok"));
        RawControl busy = connect();
        // Each CONT is one "signalled" event for the lazy subscriber; its socket buffer and backlog fill up.
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 6000; i++) {
                    if (busy.readLine() == null) return;
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        StringBuilder batch = new StringBuilder();
        String cont = "{\"v\":1,\"cmd\":\"signal\",\"name\":\"web\",\"signal\":\"CONT\"}\n";
        for (int i = 0; i < 6000; i++) batch.append(cont);
        busy.write(batch.toString());
        reader.join(TimeUnit.SECONDS.toMillis(120));
        assertFalse(reader.isAlive(), "every signal request was answered");
        daemon.awaitLine("control: dropped a subscriber .* that left [0-9]+ bytes of events unread", WAIT);
        int lines = 0;
        while (lazy.readLine() != null) lines++;
        assertTrue(lines > 100, "it had events until it was dropped: " + lines);
        assertEquals(true, connect().call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"));
    }

    @Test
    void aFloodedControlFifoDoesNotStarveTheLoop() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        awaitRunning(web, WAIT);
        Thread flood = Thread.ofPlatform().start(() -> {
            try (OutputStream fifo = Files.newOutputStream(web.resolve("supervise/control"))) {
                byte[] junk = new byte[1 << 20];
                Arrays.fill(junk, (byte) 'z');
                for (int i = 0; i < 8; i++) fifo.write(junk);
                fifo.write('d');
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        RawControl c = connect();
        int served = 0;
        while (flood.isAlive() && served < 200) {
            long start = System.nanoTime();
            assertEquals(true, c.call("{\"v\":1,\"cmd\":\"status\"}").get("ok"));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 5000, "a status request took " + ms + " ms during the flood");
            served++;
        }
        flood.join(TimeUnit.SECONDS.toMillis(120));
        assertFalse(flood.isAlive());
        awaitDown(web, WAIT);
        assertTrue(served > 0);
    }

    @Test
    void transientServicesComeAndGo() throws Exception {
        service(root, "web", "exec sleep 1000");
        startDaemon();
        RawControl c = connect();
        Map<String, Object> added = c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"job\",\"argv\":[\"sleep\",\"1000\"],"
                + "\"cwd\":\"" + sandbox + "\"}");
        assertEquals(true, added.get("ok"), added.toString());
        @SuppressWarnings("unchecked")
        long pid = (Long) ((Map<String, Object>) added.get("service")).get("pid");
        Await.until("vigil-exec to exec sleep", WAIT, () -> Procs.cmdline(pid).startsWith("sleep 1000"));
        // Made by the supervise/ writer once the start is over, not before the process runs.
        Await.until("the transient service's supervise/", WAIT,
                () -> Files.isDirectory(sandbox.resolve("run/transient/job/supervise")));
        Map<String, Object> status = only(c.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"job\"]}"));
        assertEquals(true, status.get("transient"));

        assertError("exists", c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"web\",\"argv\":[\"sleep\",\"1\"]}"));
        assertError("exists", c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"job\",\"argv\":[\"sleep\",\"1\"]}"));
        assertError("bad-request", c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"../x\",\"argv\":[\"sleep\",\"1\"]}"));
        assertError("bad-request", c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"x\",\"argv\":[\"no-such-program\"]}"));
        assertError("failed", c.call("{\"v\":1,\"cmd\":\"remove\",\"name\":\"web\"}"));

        Map<String, Object> removed = c.call("{\"v\":1,\"cmd\":\"remove\",\"name\":\"job\",\"wait\":true}");
        assertEquals(true, removed.get("ok"), removed.toString());
        assertFalse(Procs.running(pid));
        assertError("unknown-service", c.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"job\"]}"));
        assertFalse(Files.exists(sandbox.resolve("run/transient/job")), "its runtime state is gone");
    }

    @Test
    void restartPoliciesOfTransientServices() throws Exception {
        startDaemon();
        RawControl c = connect();
        for (String[] job : new String[][] {{"never", "no", "exit 1"}, {"onfail-ok", "on-failure", "exit 0"},
                {"onfail-bad", "on-failure", "exit 1"}, {"always", "always", "exit 0"}}) {
            Map<String, Object> reply = c.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"" + job[0] + "\",\"restart\":\""
                    + job[1] + "\",\"argv\":[\"sh\",\"-c\",\"" + job[2] + "\"]}");
            assertEquals(true, reply.get("ok"), reply.toString());
        }
        daemon.awaitLine("onfail-bad: exited 1 after .*; restarting in 1s", WAIT);
        daemon.awaitLine("always: exited 0 after .*; restarting in 1s", WAIT);
        daemon.awaitLine("never: exited 1 after .*; down", WAIT);
        daemon.awaitLine("onfail-ok: exited 0 after .*; down", WAIT);
        Map<String, Object> never = only(c.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"never\"]}"));
        assertEquals("down", never.get("state"));
        assertEquals("down", never.get("want"));
        assertEquals(Map.of("code", 1L), never.get("last_exit"));
    }

    @Test
    void startStopAndWaitReplyWhenDone() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        Path broken = service(root, "broken", "exec sleep 1000");
        Files.writeString(broken.resolve("run"), "#!/nonexistent/interpreter\n");
        Files.createFile(broken.resolve("down"));
        vigil.testing.ServiceDirs.script(broken.resolve("check"), "exit 1");
        // No readiness protocol: up means that the program runs, so a failed exec is a failed start here too.
        Path noExec = service(root, "noexec", "exec sleep 1000");
        Files.writeString(noExec.resolve("run"), "#!/nonexistent/interpreter\n");
        Files.createFile(noExec.resolve("down"));
        startDaemon();
        long pid = awaitRunning(web, WAIT);
        RawControl c = connect();
        Map<String, Object> stopped = c.call("{\"v\":1,\"cmd\":\"stop\",\"name\":\"web\",\"wait\":true}");
        assertEquals(true, stopped.get("ok"), stopped.toString());
        assertFalse(Procs.running(pid), "gone when stop replies");
        Map<String, Object> started = c.call("{\"v\":1,\"cmd\":\"start\",\"name\":\"web\",\"wait\":true}");
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) started.get("service");
        assertEquals("up", s.get("state"));
        assertTrue(Procs.running((Long) s.get("pid")));

        Map<String, Object> failed = c.call("{\"v\":1,\"cmd\":\"start\",\"name\":\"broken\",\"wait\":true}");
        assertError("failed", failed);
        assertTrue(((String) failed.get("message")).contains("No such file or directory"), failed.toString());
        Map<String, Object> noExecFailed = c.call("{\"v\":1,\"cmd\":\"start\",\"name\":\"noexec\",\"wait\":true}");
        assertError("failed", noExecFailed);
        assertTrue(((String) noExecFailed.get("message")).contains("No such file or directory"),
                noExecFailed.toString());

        assertError("timeout",
                c.call("{\"v\":1,\"cmd\":\"wait\",\"name\":\"web\",\"until\":\"down\",\"timeout\":0.3}"));
        assertError("not-running", c.call("{\"v\":1,\"cmd\":\"kill\",\"name\":\"broken\"}"));
    }

    @Test
    void subscribersSeeWhatHappens() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        service(root, "other", "exec sleep 1000");
        startDaemon();
        awaitRunning(web, WAIT);
        RawControl events = connect();
        assertEquals(true, events.call("{\"v\":1,\"cmd\":\"subscribe\",\"names\":[\"web\"]}").get("ok"));
        RawControl c = connect();
        c.call("{\"v\":1,\"cmd\":\"restart\",\"name\":\"other\",\"wait\":true}");
        c.call("{\"v\":1,\"cmd\":\"stop\",\"name\":\"web\",\"wait\":true}");
        c.call("{\"v\":1,\"cmd\":\"start\",\"name\":\"web\",\"wait\":true}");
        List<String> seen = new ArrayList<>();
        while (seen.size() < 4) {
            Map<String, Object> e = events.readJson();
            assertEquals("web", e.get("service"), "only web's events: " + e);
            seen.add((String) e.get("event"));
            if (e.get("event").equals("exited")) assertEquals("SIGTERM", e.get("signal"));
        }
        assertEquals(List.of("signalled", "exited", "stopped", "started"), seen);
    }

    @Test
    void shutdownStopsEverythingAndTheDaemonExits() throws Exception {
        Path web = service(root, "web", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(web, WAIT);
        RawControl c = connect();
        Map<String, Object> reply = c.call("{\"v\":1,\"cmd\":\"shutdown\"}");
        assertEquals(true, reply.get("ok"));
        assertEquals(1L, reply.get("services"));
        assertNull(c.readLine(), "the connection ends when the daemon does");
        assertEquals(0, daemon.awaitExit(WAIT));
        assertFalse(Procs.running(pid));
        assertFalse(Files.exists(socket), "the socket file is removed");
    }

    @Test
    void whileShuttingDownTheUnitFilesAreNotReadAgain() throws Exception {
        // A service that ignores TERM keeps the shutdown going until it is killed.
        Path stubborn = service(root, "stubborn", "trap '' TERM; while :; do sleep 0.05; done");
        startDaemon();
        long pid = awaitRunning(stubborn, WAIT);
        assertEquals(true, connect().call("{\"v\":1,\"cmd\":\"shutdown\"}").get("ok"));
        assertError("shutting-down", connect().call("{\"v\":1,\"cmd\":\"daemon-reload\"}"));
        Children.sendSignal((int) pid, Signals.SIGKILL);
        assertEquals(0, daemon.awaitExit(WAIT));
    }

    @Test
    void aSecondDaemonOnTheDefaultSocketExitsRatherThanRunUnreachable() throws Exception {
        startDaemon();
        // No --control: the socket comes from the environment, as for a daemon started by hand.
        DaemonProcess second = DaemonProcess.start(sandbox, Map.of("VIGIL_CONTROL", socket.toString()), "daemon",
                Files.createDirectories(sandbox.resolve("other")).toString());
        try {
            assertEquals(1, second.awaitExit(WAIT));
            second.awaitLine("cannot listen on the control socket: " + Pattern.quote(socket.toString())
                    + ": another vigil daemon is listening there; no command could reach this daemon", WAIT);
        } finally {
            second.close();
        }
        assertEquals(true, connect().call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"), "the first one carries on");
    }

    @Test
    void aSecondDaemonCannotTakeTheSocketButAStaleOneIsReplaced() throws Exception {
        startDaemon();
        DaemonProcess second = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(),
                Files.createDirectories(sandbox.resolve("other")).toString());
        try {
            assertEquals(1, second.awaitExit(WAIT));
            second.awaitLine("another vigil daemon is listening there", WAIT);
        } finally {
            second.close();
        }
        daemon.signal("KILL");
        daemon.awaitExit(WAIT);
        assertTrue(Files.exists(socket), "a killed daemon leaves its socket file behind");
        startDaemon();
        assertEquals(true, connect().call("{\"v\":1,\"cmd\":\"hello\"}").get("ok"));
    }
}
