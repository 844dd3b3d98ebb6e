package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.ControlPaths;
import vigil.service.UnitOs.PidFile;

/** Which PID files only root could have written: the file, its directories and the symlinks on its way. */
class PidFilesTest {
    private static final int OTHER = 65534;

    @TempDir
    Path dir;

    @BeforeEach
    void asRoot() {
        assumeTrue(ControlPaths.currentUid() == 0, "needs root to own files as another user");
    }

    private static void chown(Path path) throws Exception {
        Files.setAttribute(path, "unix:uid", OTHER, LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void aRootFileInRootDirectoriesIsTrusted() throws Exception {
        Files.writeString(dir.resolve("web.pid"), "4242\n");
        assertEquals(Optional.of(new PidFile(4242, Optional.empty())), PidFiles.read(dir.resolve("web.pid")));
    }

    @Test
    void aFileOfAnotherUserIsNot() throws Exception {
        Path file = Files.writeString(dir.resolve("web.pid"), "4242");
        chown(file);
        assertEquals(Optional.of(new PidFile(4242, Optional.of("owned by uid 65534"))), PidFiles.read(file));
    }

    @Test
    void aRootFileInADirectoryOfAnotherUserIsNot() throws Exception {
        Path run = Files.createDirectory(dir.resolve("run"));
        Files.writeString(run.resolve("web.pid"), "4242");
        chown(run);
        assertEquals(Optional.of("in " + run + ", a directory owned by uid 65534"),
                PidFiles.read(run.resolve("web.pid")).orElseThrow().untrusted());
    }

    @Test
    void aSymlinkOfAnotherUserToARootFileIsNot() throws Exception {
        // The attack: a service user's link to another service's root-owned PID file.
        Path sshd = Files.writeString(dir.resolve("sshd.pid"), "4242");
        Path link = Files.createSymbolicLink(dir.resolve("web.pid"), sshd.getFileName());
        chown(link);
        assertEquals(Optional.of(new PidFile(4242,
                Optional.of("reached through " + link + ", a symlink owned by uid 65534"))), PidFiles.read(link));
    }

    @Test
    void rootsOwnSymlinksAreFollowed() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Files.writeString(real.resolve("web.pid"), "4242");
        Files.createSymbolicLink(dir.resolve("run"), Path.of("real"));
        Files.createSymbolicLink(real.resolve("link.pid"), Path.of("../real/./web.pid"));
        assertEquals(Optional.of(new PidFile(4242, Optional.empty())), PidFiles.read(dir.resolve("run/link.pid")));
    }

    @Test
    void aFifoIsNotWaitedFor() throws Exception {
        Path fifo = dir.resolve("web.pid");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertEquals(Optional.empty(), PidFiles.read(fifo), "no writer: read at once, not blocking the loop");
    }

    @Test
    void noPidNoFile() throws Exception {
        assertEquals(Optional.empty(), PidFiles.read(dir.resolve("missing.pid")));
        assertEquals(Optional.empty(), PidFiles.read(Files.writeString(dir.resolve("garbage.pid"), "x")));
        assertEquals(Optional.empty(), PidFiles.read(Files.writeString(dir.resolve("init.pid"), "1")));
    }
}
