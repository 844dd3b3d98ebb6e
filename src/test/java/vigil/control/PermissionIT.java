package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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
import vigil.testing.RawControl;
import vigil.testing.Tools;

/**
 * A root daemon and a caller of uid 65534 (nobody), who talks JSON through socat run under setpriv: the uid comes
 * from SO_PEERCRED, so nothing in the request can change who the caller is. Runs only as root.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PermissionIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int NOBODY = 65534;

    @TempDir
    Path sandbox;
    private Path socket;
    private DaemonProcess daemon;
    private RawControl root;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(ControlPaths.currentUid() == 0, "needs root to switch to uid " + NOBODY);
        Tools.require("setpriv", "util-linux");
        Tools.require("socat", "socat");
        // nobody must reach the socket: JUnit makes its temporary directory 0700.
        Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = Files.createDirectories(sandbox.resolve("sv"));
        service(dir, "rootsvc", "exec sleep 1000");
        socket = sandbox.resolve("run/control");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), dir.toString());
        awaitRunning(dir.resolve("rootsvc"), WAIT);
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        root = new RawControl(socket);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (root != null) root.close();
        if (daemon != null) daemon.close();
    }

    /** One request as uid 65534; the reply. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> asNobody(String request) throws Exception {
        Tools.Result r = Tools.run(sandbox, Map.of(), request + "\n", List.of("setpriv", "--reuid=" + NOBODY,
                "--regid=" + NOBODY, "--clear-groups", "socat", "-t", "10", "-", "UNIX-CONNECT:" + socket));
        assertEquals(0, r.exit(), r.output());
        return (Map<String, Object>) Json.parse(r.output());
    }

    private static void assertDenied(Map<String, Object> reply, String... words) {
        assertEquals(false, reply.get("ok"), reply.toString());
        assertEquals("permission-denied", reply.get("error"), reply.toString());
        String message = (String) reply.get("message");
        for (String w : words) assertTrue(message.contains(w), "\"" + message + "\" should say " + w);
        assertTrue(!message.contains("sudo"), message);
    }

    @Test
    void nobodyReadsStatusButCannotTouchRootsServices() throws Exception {
        Map<String, Object> hello = asNobody("{\"v\":1,\"cmd\":\"hello\",\"uid\":0}");
        assertEquals("bad-request", hello.get("error"), "a uid in the message is not a field, let alone believed");
        assertEquals((long) NOBODY, asNobody("{\"v\":1,\"cmd\":\"hello\"}").get("uid"));
        assertEquals(true, asNobody("{\"v\":1,\"cmd\":\"status\"}").get("ok"));
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"stop\",\"name\":\"rootsvc\"}"), "rootsvc", "uid 0", "uid 65534");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"signal\",\"name\":\"rootsvc\",\"signal\":\"KILL\"}"), "rootsvc");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"kill\",\"name\":\"rootsvc\"}"), "rootsvc");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"pause\",\"name\":\"rootsvc\"}"), "rootsvc");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"rescan\"}"), "only root");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"shutdown\"}"), "only root");

        root.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"roottrans\",\"argv\":[\"sleep\",\"1000\"]}");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"remove\",\"name\":\"roottrans\"}"), "roottrans");
        assertTrue(daemon.alive());
        // Up once its program runs (the exec is confirmed a moment after the process exists).
        for (String name : List.of("rootsvc", "roottrans")) {
            assertEquals(true, root.call("{\"v\":1,\"cmd\":\"wait\",\"name\":\"" + name
                    + "\",\"until\":\"up\",\"timeout\":20}").get("ok"), name);
        }
        assertEquals("up", status("rootsvc").get("state"));
        assertEquals("up", status("roottrans").get("state"));
    }

    @Test
    void nobodysTransientServiceRunsAsNobodyAndOnlyNobodyMayChooseNoOther() throws Exception {
        Map<String, Object> added =
                asNobody("{\"v\":1,\"cmd\":\"add\",\"name\":\"mine\",\"argv\":[\"sleep\",\"1000\"]}");
        assertEquals(true, added.get("ok"), added.toString());
        long pid = (Long) status("mine").get("pid");
        Await.until("sleep to run", WAIT, () -> Procs.cmdline(pid).startsWith("sleep"));
        assertEquals(List.of(NOBODY, NOBODY), ids(pid, "Uid:"));
        assertEquals(List.of(NOBODY, NOBODY), ids(pid, "Gid:"));
        assertEquals((long) NOBODY, status("mine").get("uid"));

        String add = "{\"v\":1,\"cmd\":\"add\",\"argv\":[\"sleep\",\"1\"],";
        assertDenied(asNobody(add + "\"name\":\"theirs\",\"user\":\"root\"}"), "only root may choose");
        assertDenied(asNobody(add + "\"name\":\"theirs\",\"user\":\"65534\"}"), "only root may choose");
        assertDenied(asNobody(add + "\"name\":\"hidden\",\"cwd\":\"/root\"}"), "cannot enter /root");

        root.call("{\"v\":1,\"cmd\":\"add\",\"name\":\"other\",\"user\":\"65533\",\"argv\":[\"sleep\",\"1000\"]}");
        assertEquals((long) 65533, status("other").get("uid"));
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"stop\",\"name\":\"other\"}"), "uid 65533");
        assertDenied(asNobody("{\"v\":1,\"cmd\":\"remove\",\"name\":\"other\"}"), "uid 65533");

        assertEquals(true, asNobody("{\"v\":1,\"cmd\":\"signal\",\"name\":\"mine\",\"signal\":\"CONT\"}").get("ok"));
        Map<String, Object> removed = asNobody("{\"v\":1,\"cmd\":\"remove\",\"name\":\"mine\",\"wait\":true}");
        assertEquals(true, removed.get("ok"), removed.toString());
        assertTrue(!Procs.running(pid));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> status(String name) throws IOException {
        Map<String, Object> reply = root.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"" + name + "\"]}");
        return (Map<String, Object>) ((List<Object>) reply.get("services")).getFirst();
    }

    /** The real and effective ids from /proc/PID/status's Uid: or Gid: line. */
    private static List<Integer> ids(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field)) {
                String[] f = line.substring(field.length()).trim().split("\\s+");
                return List.of(Integer.parseInt(f[0]), Integer.parseInt(f[1]));
            }
        }
        throw new AssertionError("no " + field + " for " + pid);
    }
}
