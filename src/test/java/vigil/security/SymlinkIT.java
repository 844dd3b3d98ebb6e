package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * uid 65534 may write a service's log directory and its {@code supervise/}, and plants symlinks there to files of
 * root's: {@code current}, {@code lock}, {@code supervise/status}, {@code supervise/pid}. Root's daemon must never
 * write (nor chmod) through them: each root file keeps its content, mode and owner, and the service's output and
 * state go somewhere safe.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SymlinkIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    /** Files of root's, 0600, in a directory only root may enter. */
    private final List<Path> rootFiles = new ArrayList<>();
    private final List<String> before = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        Nobody.require();
        Nobody.letIn(sandbox);
        Path secrets = Files.createDirectory(sandbox.resolve("secrets"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (int i = 1; i <= 4; i++) {
            Path file = Files.writeString(secrets.resolve("ROOTFILE" + i), "root's secret " + i + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            rootFiles.add(file);
            before.add(describe(file));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** Content, mode, owner and group: what a write or a chmod through a link would change. */
    private static String describe(Path file) throws IOException {
        return Files.readString(file) + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(file))
                + " " + Files.getAttribute(file, "unix:uid") + ":" + Files.getAttribute(file, "unix:gid");
    }

    private boolean rootFilesChanged() {
        try {
            for (int i = 0; i < rootFiles.size(); i++) {
                if (!before.get(i).equals(describe(rootFiles.get(i)))) return true;
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Waits until the daemon has done what the test expects, or has written through a link: either way the root
     * files are then checked, so that a daemon that follows links fails on them, not on the wait.
     */
    private void awaitDoneOrHarm(String what, java.util.function.BooleanSupplier done) {
        Await.until(what + " (or a file of root's changed)", WAIT,
                () -> rootFilesChanged() || done.getAsBoolean());
    }

    private void assertRootFilesUntouched() throws IOException {
        for (int i = 0; i < rootFiles.size(); i++) {
            assertEquals(before.get(i), describe(rootFiles.get(i)), rootFiles.get(i) + " was changed");
        }
    }

    /** As uid 65534: {@code ln -sfn target link}. */
    private void plant(Path link, Path target) throws Exception {
        Tools.Result r = Nobody.run(sandbox, null, "ln", "-sfn", target.toString(), link.toString());
        assertEquals(0, r.exit(), r.output());
        assertTrue(Files.isSymbolicLink(link));
    }

    private static Path ownedByNobody(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setAttribute(dir, "unix:uid", Nobody.UID);
        Files.setAttribute(dir, "unix:gid", Nobody.UID);
        return dir;
    }

    private static Path writableByAnyone(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    /** A service that prints a line naming itself and its pid at each start, then waits. */
    private static Path talker(Path root, String name, Path logDir) throws IOException {
        Path dir = service(root, name, "echo \"" + name + " says hello from $$\"\nexec sleep 1000");
        Files.writeString(dir.resolve("log-dir"), logDir + "\n");
        return dir;
    }

    private static long pidIn(Path supervise) {
        try {
            byte[] bytes = Files.readAllBytes(supervise.resolve("status"));
            if (bytes.length != 20 || bytes[19] != 1) return 0;
            return ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void kill(long pid) throws Exception {
        assertEquals(0, Tools.run(Path.of("/"), "kill", "-KILL", Long.toString(pid)).exit());
    }

    @Test
    void directoriesOfAnotherUserAreRefusedAndRootsFilesLeftAlone() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path logDir = ownedByNobody(sandbox.resolve("nobodys-log"));
        Path svc = talker(root, "victim", logDir);
        Path supervise = ownedByNobody(svc.resolve("supervise"));
        plant(logDir.resolve("current"), rootFiles.get(0));
        plant(logDir.resolve("lock"), rootFiles.get(1));
        plant(supervise.resolve("status"), rootFiles.get(2));
        plant(supervise.resolve("pid"), rootFiles.get(3));

        daemon = DaemonProcess.daemon(sandbox, root);
        String keptLine = "victim: keeping supervise/ in \\S+: .*belongs to uid 65534";
        String refusedLine = "victim: log: cannot open " + Pattern.quote(logDir.toString()) + ".*"
                + Pattern.quote(logDir + " belongs to uid 65534");
        awaitDoneOrHarm("both refusals told", () -> daemon.countLines(keptLine) > 0
                && daemon.countLines(refusedLine) > 0);
        assertRootFilesUntouched();
        String kept = daemon.awaitLine(keptLine, WAIT);
        Matcher where = Pattern.compile("keeping supervise/ in (\\S+):").matcher(kept);
        assertTrue(where.find(), kept);
        Path fallback = Path.of(where.group(1));
        long pid = Await.value("the service running, its state kept in " + fallback, WAIT,
                () -> pidIn(fallback) != 0 && Procs.running(pidIn(fallback)) ? pidIn(fallback) : null);
        // A restart writes pid and status again.
        kill(pid);
        Await.until("a restart", WAIT, () -> pidIn(fallback) != 0 && pidIn(fallback) != pid);

        assertRootFilesUntouched();
        assertTrue(Files.isSymbolicLink(logDir.resolve("current")), "nothing was written in nobody's directory");
        assertTrue(Files.isSymbolicLink(supervise.resolve("status")));
        assertTrue(daemon.alive());
    }

    @Test
    void linksInDirectoriesAnyoneMayWriteAreReplacedNotFollowed() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path logDir = writableByAnyone(sandbox.resolve("shared-log"));
        Path svc = talker(root, "victim", logDir);
        Path supervise = writableByAnyone(svc.resolve("supervise"));
        plant(logDir.resolve("current"), rootFiles.get(0));
        plant(logDir.resolve("lock"), rootFiles.get(1));
        plant(supervise.resolve("status"), rootFiles.get(2));
        plant(supervise.resolve("pid"), rootFiles.get(3));

        daemon = DaemonProcess.daemon(sandbox, root);
        Path current = logDir.resolve("current");
        awaitDoneOrHarm("the service running, its first line in a current of its own", () -> {
            long running = pidIn(supervise);
            try {
                return running != 0 && Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS)
                        && Files.readString(current).contains("victim says hello from " + running);
            } catch (IOException e) {
                return false;
            }
        });
        assertRootFilesUntouched();
        long pid = pidIn(supervise);
        assertEquals(pid + "\n", Files.readString(supervise.resolve("pid")));
        assertFalse(Files.isSymbolicLink(logDir.resolve("lock")));

        // Planted again while the daemon runs: the restart's writes replace them too.
        plant(supervise.resolve("status"), rootFiles.get(2));
        plant(supervise.resolve("pid"), rootFiles.get(3));
        kill(pid);
        long again = ServiceDirs.awaitRestarted(svc, pid, WAIT);
        assertEquals(again + "\n", Files.readString(supervise.resolve("pid")));
        assertFalse(Files.isSymbolicLink(supervise.resolve("status")));

        assertRootFilesUntouched();
        assertTrue(daemon.alive());
    }
}
