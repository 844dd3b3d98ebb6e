package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import vigil.control.Json;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.Procs;
import vigil.testing.RawControl;
import vigil.testing.Tools;

/**
 * uid 65534 against root's daemon and root's names: a transient service of his may not keep root's configuration
 * out, a failed request of his leaves nothing, he may not add without bound, and the checks of his {@code add}
 * tell him nothing about directories he cannot enter.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SquattingIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path tree;
    private Path units;
    private Path socket;
    private DaemonProcess daemon;
    private RawControl root;

    @BeforeEach
    void setUp() throws Exception {
        Nobody.require();
        Tools.require("socat", "socat");
        Nobody.letIn(sandbox);
        tree = Files.createDirectories(sandbox.resolve("sv"));
        service(tree, "rootsvc", "exec sleep 1000");
        units = Files.createDirectories(sandbox.resolve("units"));
        socket = sandbox.resolve("run/control");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), tree.toString(),
                "--units", units.toString());
        awaitRunning(tree.resolve("rootsvc"), WAIT);
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        root = new RawControl(socket);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (root != null) root.close();
        if (daemon != null) daemon.close();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> asNobody(String request) throws Exception {
        Tools.Result r = Nobody.run(sandbox, request + "\n", "socat", "-t", "10", "-", "UNIX-CONNECT:" + socket);
        assertEquals(0, r.exit(), r.output());
        return (Map<String, Object>) Json.parse(r.output());
    }

    private static String add(String name, String extra) {
        return "{\"v\":1,\"cmd\":\"add\",\"name\":\"" + name + "\",\"restart\":\"no\",\"argv\":[\"sleep\",\"1000\"]"
                + extra + "}";
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> status(String name) throws IOException {
        Map<String, Object> reply = root.call("{\"v\":1,\"cmd\":\"status\",\"names\":[\"" + name + "\"]}");
        if (!Boolean.TRUE.equals(reply.get("ok"))) return reply;
        return (Map<String, Object>) ((List<Object>) reply.get("services")).getFirst();
    }

    @Test
    void rootsServiceDirectoryTakesTheNameFromNobodysTransientService() throws Exception {
        Map<String, Object> added = asNobody(add("newsvc", ""));
        assertEquals(true, added.get("ok"), added.toString());
        long nobodysPid = Await.value("nobody's sleep", WAIT, () -> {
            try {
                long pid = (Long) status("newsvc").get("pid");
                return pid > 0 && Procs.cmdline(pid).startsWith("sleep") ? pid : null;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });

        service(tree, "newsvc", "exec sleep 999");

        long rootsPid = awaitRunning(tree.resolve("newsvc"), WAIT);
        daemon.awaitLine("newsvc: the transient service added by uid 65534 is stopped and removed: the service "
                + "directory " + tree.resolve("newsvc") + " takes the name", WAIT);
        Map<String, Object> now = status("newsvc");
        assertEquals(false, now.get("transient"), now.toString());
        assertEquals(0L, now.get("uid"), now.toString());
        assertEquals(rootsPid, now.get("pid"));
        Await.until("nobody's sleep to be gone", WAIT, () -> !Procs.running(nobodysPid));
        assertEquals("exists", asNobody(add("newsvc", "")).get("error"), "root's name is not nobody's to take");
    }

    @Test
    void rootsUnitFileTakesTheNameFromNobodysTransientService() throws Exception {
        assertEquals(true, asNobody(add("late.service", "")).get("ok"));
        Files.writeString(units.resolve("late.service"), "[Service]\nExecStart=/bin/sleep 998\n");

        assertEquals(true, root.call("{\"v\":1,\"cmd\":\"daemon-reload\"}").get("ok"));

        daemon.awaitLine("late.service: the transient service added by uid 65534 is stopped and removed: the unit "
                + "file " + units.resolve("late.service") + " takes the name", WAIT);
        daemon.awaitLine("late.service: running", WAIT);
        Map<String, Object> now = status("late.service");
        assertEquals("active", now.get("state"), now.toString());
        assertEquals("unknown-service", root.call("{\"v\":1,\"cmd\":\"remove\",\"name\":\"late.service\"}")
                .get("error"), "nobody's transient service is gone");
    }

    /** A transient service of root's own keeps its name; once root removes it, root's directory gets it. */
    @Test
    void aDirectoryRefusedForItsNameStartsOnceTheNameIsFree() throws Exception {
        assertEquals(true, root.call(add("dup", "")).get("ok"));
        service(tree, "dup", "exec sleep 999");
        daemon.awaitLine("dup: ignored: a service of that name is already supervised", WAIT);

        assertEquals(true, root.call("{\"v\":1,\"cmd\":\"remove\",\"name\":\"dup\",\"wait\":true}").get("ok"));
        assertEquals(true, root.call("{\"v\":1,\"cmd\":\"rescan\"}").get("ok"));

        awaitRunning(tree.resolve("dup"), WAIT);
        assertEquals(false, status("dup").get("transient"));
    }

    @Test
    void aFailedAddLeavesNothingBehind() throws Exception {
        Map<String, Object> refused = asNobody(add("web", ",\"env\":{\"A\":\"b\\u0000c\"}"));
        assertEquals("bad-request", refused.get("error"), refused.toString());
        assertEquals("unknown-service", status("web").get("error"), "the name is not left registered");

        service(tree, "web", "exec sleep 999");

        awaitRunning(tree.resolve("web"), WAIT);
        assertEquals(0L, status("web").get("uid"));
        assertEquals(0, daemon.countLines("web: ignored"), String.join("\n", daemon.lines()));
    }

    @Test
    void nobodyMayHaveOnly64TransientServicesAndRootIsNotCapped() throws Exception {
        for (int i = 1; i <= 64; i++) {
            Map<String, Object> reply = asNobody(add("n" + i, ""));
            assertEquals(true, reply.get("ok"), i + ": " + reply);
        }

        Map<String, Object> refused = asNobody(add("n65", ""));

        assertEquals("limit", refused.get("error"), refused.toString());
        assertEquals("n65: refused: uid 65534 already has 64 transient services, the most this daemon allows a user "
                + "other than root; remove one first", refused.get("message"));
        assertEquals("unknown-service", status("n65").get("error"));
        assertEquals(true, root.call(add("r65", "")).get("ok"), "root is not capped");
        assertEquals(true, asNobody("{\"v\":1,\"cmd\":\"remove\",\"name\":\"n1\",\"wait\":true}").get("ok"));
        assertEquals(true, asNobody(add("n65", "")).get("ok"), "a removed service frees its place");
    }

    @Test
    void theDaemonsOptionSetsTheLimit() throws Exception {
        root.close();
        daemon.close();
        Files.deleteIfExists(socket);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--user-services",
                "1", tree.toString());
        // The socket file may exist a moment before the daemon listens on it: wait for an answer.
        Await.until("the daemon to answer", WAIT, () -> {
            try {
                return Boolean.TRUE.equals(asNobody("{\"v\":1,\"cmd\":\"hello\"}").get("ok"));
            } catch (Exception | AssertionError notYet) {
                return false;
            }
        });
        root = new RawControl(socket);

        assertEquals(true, asNobody(add("one", "")).get("ok"));
        Map<String, Object> refused = asNobody(add("two", ""));
        assertEquals("limit", refused.get("error"), refused.toString());
        assertTrue(((String) refused.get("message")).contains("already has 1 transient services"), refused.toString());
    }

    /**
     * Whether a path exists inside a directory nobody cannot enter must not show in the reply to his add, neither
     * through its working directory nor through a program looked up in PATH.
     */
    @Test
    void addTellsNobodyNothingAboutADirectoryHeCannotEnter() throws Exception {
        Path secret = Files.createDirectories(sandbox.resolve("secret"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(secret.resolve("here"));
        Path bin = Files.createDirectories(secret.resolve("bin"));
        Files.copy(Path.of("/bin/sleep"), bin.resolve("prog"));
        Files.setPosixFilePermissions(bin.resolve("prog"), PosixFilePermissions.fromString("rwxr-xr-x"));

        Map<String, Object> existing = asNobody(add("a", ",\"cwd\":\"" + secret.resolve("here") + "\""));
        Map<String, Object> missing = asNobody(add("b", ",\"cwd\":\"" + secret.resolve("gone") + "\""));
        assertEquals(false, existing.get("ok"), existing.toString());
        assertEquals(existing.get("error"), missing.get("error"));
        assertEquals(((String) existing.get("message")).replace("a:", "").replace("here", "X"),
                ((String) missing.get("message")).replace("b:", "").replace("gone", "X"));
        assertTrue(((String) existing.get("message")).contains("cannot enter " + secret), existing.toString());

        String found = "{\"v\":1,\"cmd\":\"add\",\"name\":\"c\",\"restart\":\"no\",\"argv\":[\"prog\",\"1000\"],"
                + "\"env\":{\"PATH\":\"" + bin + "\"}}";
        String notFound = found.replace("\"c\"", "\"d\"").replace(bin.toString(), secret.resolve("nobin").toString());
        Map<String, Object> inPath = asNobody(found);
        Map<String, Object> notInPath = asNobody(notFound);
        assertEquals(notInPath.get("error"), inPath.get("error"), inPath + " / " + notInPath);
        assertEquals(((String) notInPath.get("message")).replace("d:", ""),
                ((String) inPath.get("message")).replace("c:", ""));
        assertFalse(Boolean.TRUE.equals(inPath.get("ok")), inPath.toString());

        // The same checks as root still see everything: root's own view is not narrowed.
        assertEquals(true, root.call(add("e", ",\"cwd\":\"" + secret.resolve("here") + "\"")).get("ok"));
    }
}
