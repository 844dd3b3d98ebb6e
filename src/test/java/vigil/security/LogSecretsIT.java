package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.Tools;

/**
 * What a root service prints may be secret: uid 65534 reads it neither from the files nor through
 * {@code vigil logs}, while root does (and group adm could), and a service of uid 65534's own is his to read.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogSecretsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SECRET = "rootsvc secret-token-42";

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    private Path socket;
    private Path logs;

    @BeforeEach
    void setUp() throws Exception {
        Nobody.require();
        Nobody.letIn(sandbox);
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        service(root, "rootsvc", "echo '" + SECRET + "'\nexec sleep 1000");
        socket = sandbox.resolve("run/control");
        logs = DaemonProcess.logDir(sandbox);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                logs.toString(), root.toString());
        awaitLogged(logs.resolve("rootsvc"), SECRET);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private static void awaitLogged(Path dir, String text) {
        Await.until(text + " in " + dir + "/current", WAIT, () -> {
            try {
                return Files.readString(dir.resolve("current")).contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static String launcher() {
        return System.getProperty("vigil.launcher");
    }

    private Tools.Result logsAsNobody(String name) throws Exception {
        return Nobody.run(sandbox, null, launcher(), "logs", name, "--control", socket.toString());
    }

    private Tools.Result logsAsRoot(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(launcher(), "logs"));
        command.addAll(List.of(args));
        command.addAll(List.of("--control", socket.toString()));
        return Tools.run(sandbox, Map.of(), null, command);
    }

    /** Group adm's gid (Debian's readers of /var/log), or root's group where there is none. */
    private static int readersGid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/group"))) {
            if (line.startsWith("adm:")) return Integer.parseInt(line.split(":")[2]);
        }
        return 0;
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void aRootServicesLogIsForRootAndAdmOnly() throws Exception {
        Path current = logs.resolve("rootsvc/current");
        assertEquals("rw-r-----", mode(current));
        assertEquals(0, Files.getAttribute(current, "unix:uid"));
        assertEquals(readersGid(), Files.getAttribute(current, "unix:gid"));

        Tools.Result cat = Nobody.run(sandbox, null, "cat", current.toString());
        assertNotEquals(0, cat.exit(), cat.output());
        assertFalse(cat.output().contains("secret-token"), cat.output());

        Tools.Result refused = logsAsNobody("rootsvc");
        assertEquals(1, refused.exit(), refused.output());
        assertTrue(refused.output().contains("rootsvc: permission denied"), refused.output());
        assertFalse(refused.output().contains("secret-token"), refused.output());

        Tools.Result served = logsAsRoot("rootsvc");
        assertEquals(0, served.exit(), served.output());
        assertTrue(served.output().contains(SECRET), served.output());

        // A rotated file stays as closed to others, marked complete by the owner's x bit as svlogd does.
        Tools.Result rotated = logsAsRoot("rootsvc", "--rotate");
        assertEquals(0, rotated.exit(), rotated.output());
        try (Stream<Path> files = Files.list(logs.resolve("rootsvc"))) {
            Path old = files.filter(f -> f.getFileName().toString().endsWith(".s")).findFirst().orElseThrow();
            assertEquals("rwxr-----", mode(old));
            assertEquals(readersGid(), Files.getAttribute(old, "unix:gid"));
        }
        refused = logsAsNobody("rootsvc");
        assertEquals(1, refused.exit(), refused.output());
        assertFalse(refused.output().contains("secret-token"), refused.output());
    }

    @Test
    void aServiceOfNobodysOwnIsHisToRead() throws Exception {
        Tools.require("socat", "socat");
        String add = "{\"v\":1,\"cmd\":\"add\",\"name\":\"mine\",\"argv\":[\"sh\",\"-c\","
                + "\"echo mine-token-7; exec sleep 1000\"]}\n";
        Tools.Result added = Nobody.run(sandbox, add, "socat", "-t", "10", "-", "UNIX-CONNECT:" + socket);
        assertTrue(added.output().contains("\"ok\":true"), added.output());
        awaitLogged(logs.resolve("mine"), "mine-token-7");
        assertEquals(Nobody.UID, Files.getAttribute(logs.resolve("mine/current"), "unix:uid"));

        Tools.Result own = logsAsNobody("mine");
        assertEquals(0, own.exit(), own.output());
        assertTrue(own.output().contains("mine-token-7"), own.output());

        Tools.Result refused = logsAsNobody("rootsvc");
        assertEquals(1, refused.exit(), refused.output());
        assertFalse(refused.output().contains("secret-token"), refused.output());
    }
}
