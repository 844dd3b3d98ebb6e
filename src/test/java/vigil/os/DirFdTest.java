package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files reached through a directory fd: a planted symlink is refused or replaced, and its target never touched. */
class DirFdTest {
    @TempDir
    Path tmp;
    private Path dir;
    /** Stands for a file of root's that a symlink in the directory points to. */
    private Path victim;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectory(tmp.resolve("dir"));
        victim = Files.writeString(tmp.resolve("victim"), "secret\n");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
    }

    private void assertVictimUntouched() throws IOException {
        assertEquals("secret\n", Files.readString(victim));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)));
    }

    @Test
    void openRefusesASymlink() throws IOException {
        Files.createSymbolicLink(dir.resolve("current"), victim);
        try (DirFd d = DirFd.open(dir)) {
            OsException e = assertThrows(OsException.class, () -> d.open("current", Fds.O_WRONLY | Fds.O_APPEND, 0));
            assertEquals(Errno.ELOOP, e.errno());
        }
        assertVictimUntouched();
    }

    @Test
    void openOwnFileReplacesASymlinkAndLeavesItsTargetAlone() throws IOException {
        Files.createSymbolicLink(dir.resolve("current"), victim);
        try (DirFd d = DirFd.open(dir)) {
            int fd = d.openOwnFile("current", Fds.O_WRONLY | Fds.O_APPEND, 0600);
            try {
                Fds.write(fd, "line\n".getBytes(StandardCharsets.US_ASCII), 0, 5);
                DirFd.chmod(fd, 0640);
            } finally {
                Fds.close(fd);
            }
        }
        assertFalse(Files.isSymbolicLink(dir.resolve("current")));
        assertEquals("line\n", Files.readString(dir.resolve("current")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("current"))));
        assertVictimUntouched();
    }

    @Test
    void openOwnFileReplacesASecondHardLinkAndAFifo() throws IOException {
        Files.createLink(dir.resolve("lock"), victim);
        FileSystem.mkfifo(dir.resolve("current"), 0600);
        try (DirFd d = DirFd.open(dir)) {
            Fds.close(d.openOwnFile("lock", Fds.O_WRONLY | Fds.O_APPEND, 0600));
            int fd = d.openOwnFile("current", Fds.O_WRONLY | Fds.O_APPEND, 0600);
            try {
                assertTrue(d.status(fd).isRegular());
            } finally {
                Fds.close(fd);
            }
        }
        assertEquals(1, (Integer) Files.getAttribute(victim, "unix:nlink"));
        assertVictimUntouched();
    }

    @Test
    void overwriteRenamesANewFileOverASymlinkAndLeavesItsTargetAlone() throws IOException {
        Files.createSymbolicLink(dir.resolve("status"), victim);
        try (DirFd d = DirFd.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom("new", StandardCharsets.US_ASCII);
            d.overwrite(arena.allocateFrom("status"), arena.allocateFrom("status.new"), data, 3, -1, 0644);
        }
        assertFalse(Files.isSymbolicLink(dir.resolve("status")));
        assertEquals("new", Files.readString(dir.resolve("status")));
        assertFalse(Files.exists(dir.resolve("status.new"), LinkOption.NOFOLLOW_LINKS));
        assertVictimUntouched();
    }

    @Test
    void overwriteRewritesItsOwnFileInPlace() throws IOException {
        try (DirFd d = DirFd.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom("pid"), temporary = arena.allocateFrom("pid.new");
            d.overwrite(name, temporary, arena.allocateFrom("12345\n", StandardCharsets.US_ASCII), 6, -1, 0644);
            Object inode = Files.getAttribute(dir.resolve("pid"), "unix:ino");
            d.overwrite(name, temporary, arena.allocateFrom("7\n", StandardCharsets.US_ASCII), 2, 6, 0644);
            assertEquals("7\n", Files.readString(dir.resolve("pid")));
            assertEquals(inode, Files.getAttribute(dir.resolve("pid"), "unix:ino"), "overwritten, not renamed");
        }
    }

    @Test
    void aRenameReplacesASymlinkItself() throws IOException {
        Files.writeString(dir.resolve("current"), "log\n");
        Files.createSymbolicLink(dir.resolve("@old.s"), victim);
        try (DirFd d = DirFd.open(dir)) {
            d.rename("current", "@old.s");
        }
        assertEquals("log\n", Files.readString(dir.resolve("@old.s")));
        assertFalse(Files.isSymbolicLink(dir.resolve("@old.s")));
        assertVictimUntouched();
    }

    @Test
    void mkfifoReplacesASymlinkAndOpenFifoRefusesAnythingElse() throws IOException {
        Files.createSymbolicLink(dir.resolve("control"), victim);
        Files.writeString(dir.resolve("ok"), "");
        try (DirFd d = DirFd.open(dir)) {
            d.mkfifo("control", 0600);
            assertTrue(d.status("control").isFifo());
            Fds.close(d.openFifo("control"));
            assertThrows(OsException.class, () -> d.openFifo("ok"));
        }
        assertVictimUntouched();
    }

    @Test
    void readTextRefusesASymlink() throws IOException {
        Files.createSymbolicLink(dir.resolve("config"), victim);
        try (DirFd d = DirFd.open(dir)) {
            assertEquals(Errno.ELOOP, assertThrows(OsException.class, () -> d.readText("config", 4096)).errno());
            assertNull(d.readText("missing", 4096));
        }
    }

    @Test
    void aSymlinkedDirectoryIsFollowedOnlyWhereNoOneElseCouldHavePutIt() throws IOException {
        Path target = Files.createDirectory(tmp.resolve("target"));
        Path parent = Files.createDirectory(tmp.resolve("parent"));
        Files.createSymbolicLink(parent.resolve("supervise"), target);
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (DirFd d = DirFd.open(parent.resolve("supervise"))) {
            assertTrue(d.status().sameFile(DirFd.open(target).status()));
        }
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(Errno.ELOOP,
                assertThrows(OsException.class, () -> DirFd.open(parent.resolve("supervise"))).errno());
    }

    @Test
    void aDirectoryOfAnotherUserIsRefusedNamingItsOwner() throws IOException {
        assumeTrue(DirFd.effectiveUid() == 0, "needs root to give a directory away");
        Files.setAttribute(dir, "unix:uid", 65534);
        try (DirFd d = DirFd.open(dir)) {
            ForeignDirectoryException e = assertThrows(ForeignDirectoryException.class, d::checkOwner);
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("uid 65534"),
                    e.getMessage());
        }
        Files.setAttribute(dir, "unix:uid", 0);
        try (DirFd d = DirFd.open(dir)) {
            d.checkOwner();
        }
    }
}
