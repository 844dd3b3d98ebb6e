package vigil.os;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdsTest {
    @TempDir
    Path dir;

    @Test
    void openCreatesWritesAppendsAndReads() throws Exception {
        Path file = dir.resolve("f");
        int fd = Fds.open(file, Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC, 0640);
        try {
            byte[] hello = "hello ".getBytes(StandardCharsets.US_ASCII);
            assertEquals(hello.length, Fds.write(fd, hello, 0, hello.length));
        } finally {
            Fds.close(fd);
        }
        fd = Fds.open(file, Fds.O_WRONLY | Fds.O_APPEND, 0);
        try {
            byte[] world = "xxworld".getBytes(StandardCharsets.US_ASCII);
            assertEquals(5, Fds.write(fd, world, 2, 5));
        } finally {
            Fds.close(fd);
        }
        assertEquals("hello world", Files.readString(file));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file)));

        fd = Fds.open(file, Fds.O_RDONLY, 0);
        try {
            byte[] buffer = new byte[20];
            int n = Fds.read(fd, buffer, 3, 17);
            assertEquals(11, n);
            assertEquals("hello world", new String(buffer, 3, n, StandardCharsets.US_ASCII));
            assertEquals(0, Fds.read(fd, buffer, 0, 20), "EOF");
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void openedFdsAreCloseOnExecAndFlagsCanChange() throws Exception {
        int fd = Fds.open(dir, Fds.O_RDONLY | Fds.O_DIRECTORY, 0);
        try {
            assertTrue(Fds.isCloseOnExec(fd));
            Fds.setCloseOnExec(fd, false);
            assertFalse(Fds.isCloseOnExec(fd));
            Fds.setCloseOnExec(fd, true);
            assertTrue(Fds.isCloseOnExec(fd));
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void openReportsTheErrnoAndPath() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        OsException notDir = assertThrows(OsException.class,
                () -> Fds.open(file, Fds.O_RDONLY | Fds.O_DIRECTORY, 0));
        assertEquals(Errno.ENOTDIR, notDir.errno());
        assertTrue(notDir.getMessage().contains(file.toString()), notDir.getMessage());

        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        OsException loop = assertThrows(OsException.class, () -> Fds.open(link, Fds.O_RDONLY | Fds.O_NOFOLLOW, 0));
        assertEquals(Errno.ELOOP, loop.errno());

        OsException missing = assertThrows(OsException.class, () -> Fds.open(dir.resolve("none"), Fds.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, missing.errno());
        assertEquals("open", missing.call());
    }

    @Test
    void nonBlockingCanBeSwitchedOnAPipe() throws Exception {
        int[] pipe = Fds.pipe(0);
        try {
            assertEquals(0, Fds.statusFlags(pipe[0]) & Fds.O_NONBLOCK);
            Fds.setNonBlocking(pipe[0], true);
            assertEquals(Fds.O_NONBLOCK, Fds.statusFlags(pipe[0]) & Fds.O_NONBLOCK);
            assertEquals(-1, Fds.read(pipe[0], new byte[4], 0, 4), "EAGAIN on an empty non-blocking pipe");
            Fds.write(pipe[1], new byte[] {7, 8}, 0, 2);
            byte[] got = new byte[4];
            assertEquals(2, Fds.read(pipe[0], got, 0, 4));
            assertArrayEquals(new byte[] {7, 8, 0, 0}, got);
            Fds.setNonBlocking(pipe[0], false);
            assertEquals(0, Fds.statusFlags(pipe[0]) & Fds.O_NONBLOCK);
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void byteArrayBoundsAreChecked() throws Exception {
        int[] pipe = Fds.pipe(Fds.O_NONBLOCK);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> Fds.write(pipe[1], new byte[2], 1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> Fds.read(pipe[0], new byte[2], -1, 1));
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }
}
