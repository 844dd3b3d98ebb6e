package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.FileSystem;
import vigil.os.OsException;
import vigil.supervise.SuperviseState.RunState;
import vigil.supervise.SuperviseState.Want;

class SuperviseDirTest {
    private static final Instant STAMP = Instant.ofEpochSecond(0x6b018fd2L - 10, 0x3245aac4L);

    @TempDir
    Path service;

    private static int type(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 0170000;
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void createsTheRunitLayout() throws IOException {
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            Path sup = service.resolve("supervise");
            assertEquals(sup, dir.directory());
            assertTrue(Files.isDirectory(sup));
            assertEquals("rwx------", perms(sup));
            assertTrue(Files.isRegularFile(sup.resolve("lock")));
            assertEquals("rw-------", perms(sup.resolve("lock")));
            for (String fifo : new String[] {"control", "ok"}) {
                assertEquals(0010000, type(sup.resolve(fifo)), fifo + " is a FIFO");
                assertEquals("rw-------", perms(sup.resolve(fifo)));
            }
        }
    }

    @Test
    void writesPidStatAndStatusByteForByte() throws IOException {
        Path sup = service.resolve("supervise");
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            dir.write(new SuperviseState(RunState.RUN, 4736, Want.UP, false, false, STAMP));
            assertEquals("4736\n", Files.readString(sup.resolve("pid")));
            assertEquals("run\n", Files.readString(sup.resolve("stat")));
            assertArrayEquals(HexFormat.of().parseHex("400000006b018fd23245aac48012000000750001"),
                    Files.readAllBytes(sup.resolve("status")));
            assertEquals("rw-r--r--", perms(sup.resolve("status")));

            dir.write(new SuperviseState(RunState.FINISH, 31, Want.EXIT, true, true, STAMP));
            assertEquals("31\n", Files.readString(sup.resolve("pid")));
            assertEquals("finish, paused, got TERM, want exit\n", Files.readString(sup.resolve("stat")));
            assertArrayEquals(HexFormat.of().parseHex("400000006b018fd23245aac41f00000001640102"),
                    Files.readAllBytes(sup.resolve("status")));

            dir.write(new SuperviseState(RunState.DOWN, 0, Want.DOWN, false, false, STAMP));
            assertEquals("", Files.readString(sup.resolve("pid")));
            assertEquals("down\n", Files.readString(sup.resolve("stat")));
            assertEquals(StatusFile.SIZE, Files.size(sup.resolve("status")));
        }
        try (Stream<Path> files = Files.list(sup)) {
            assertEquals(0, files.filter(f -> f.toString().endsWith(".new")).count(), "no X.new left behind");
        }
    }

    @Test
    void pidFileIsRewrittenOnlyWhenThePidChanges() throws IOException {
        Path pid = service.resolve("supervise").resolve("pid");
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            dir.write(new SuperviseState(RunState.RUN, 77, Want.UP, false, false, STAMP));
            Files.delete(pid);
            dir.write(new SuperviseState(RunState.RUN, 77, Want.DOWN, false, true, STAMP));
            assertFalse(Files.exists(pid), "same pid: pid not rewritten");
            assertEquals("run, got TERM, want down\n", Files.readString(pid.resolveSibling("stat")));
            dir.write(new SuperviseState(RunState.FINISH, 78, Want.DOWN, false, false, STAMP));
            assertEquals("78\n", Files.readString(pid));
        }
    }

    @Test
    void secondSupervisorIsRefusedWhileTheLockIsHeld() throws IOException {
        SuperviseDir first = SuperviseDir.open(service);
        try {
            var e = assertThrows(AlreadySupervisedException.class, () -> SuperviseDir.open(service));
            assertEquals(service + ": already supervised by another process (supervise/lock is held)",
                    e.getMessage());
        } finally {
            first.close();
        }
        SuperviseDir.open(service).close();
    }

    @Test
    void lockIsAnFlockOtherProcessesSee() throws Exception {
        Path flock = Path.of("/usr/bin/flock");
        assumeTrue(Files.isExecutable(flock), "util-linux flock is not installed");
        Path lock = service.resolve("supervise").resolve("lock");
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            assertEquals(1, exitCode(flock.toString(), "-n", lock.toString(), "true"), "held: flock -n fails");
        }
        assertEquals(0, exitCode(flock.toString(), "-n", lock.toString(), "true"), "released after close");
    }

    private static int exitCode(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "finished in time");
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void controlFifoDeliversClientBytes() throws IOException {
        try (SuperviseDir dir = SuperviseDir.open(service); Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16);
            assertEquals(-1, Fds.read(dir.controlFd(), buffer, 16), "nothing yet, and no blocking");
            // A blocking open for writing returns at once: the supervisor holds a reader.
            try (OutputStream client = Files.newOutputStream(service.resolve("supervise").resolve("control"))) {
                client.write("tcu".getBytes(StandardCharsets.US_ASCII));
            }
            assertEquals(3, Fds.read(dir.controlFd(), buffer, 16));
            assertEquals("tcu", buffer.getString(0).substring(0, 3));
            assertEquals(-1, Fds.read(dir.controlFd(), buffer, 16), "the client's close is no end-of-file");
        }
    }

    @Test
    void okIsTheControlFifoUnderASecondName() throws IOException {
        Path sup = service.resolve("supervise");
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            assertTrue(Files.isSameFile(sup.resolve("ok"), sup.resolve("control")));
            Fds.close(Fds.open(sup.resolve("ok"), Fds.O_WRONLY | Fds.O_NONBLOCK, 0));
        }
        var e = assertThrows(OsException.class, () -> Fds.open(sup.resolve("ok"), Fds.O_WRONLY | Fds.O_NONBLOCK, 0));
        assertEquals(Errno.ENXIO, e.errno(), "no reader once the supervisor is gone: svok says not running");
    }

    @Test
    void aSeparateOkLeftByRunsvIsHeldOpenToo() throws IOException {
        Path sup = service.resolve("supervise");
        Files.createDirectory(sup);
        FileSystem.mkfifo(sup.resolve("ok"), 0600);
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            assertFalse(Files.isSameFile(sup.resolve("ok"), sup.resolve("control")));
            Fds.close(Fds.open(sup.resolve("ok"), Fds.O_WRONLY | Fds.O_NONBLOCK, 0));
        }
        var e = assertThrows(OsException.class, () -> Fds.open(sup.resolve("ok"), Fds.O_WRONLY | Fds.O_NONBLOCK, 0));
        assertEquals(Errno.ENXIO, e.errno());
    }

    @Test
    void reopensAnExistingDirectory() throws IOException {
        SuperviseDir.open(service).close();
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            dir.write(new SuperviseState(RunState.DOWN, 0, Want.UP, false, false, STAMP));
            assertEquals(0010000, type(dir.directory().resolve("ok")));
        }
    }

    @Test
    void symlinkToAMissingDirectoryCreatesTheTarget() throws IOException {
        Path target = service.resolve("elsewhere");
        Files.createSymbolicLink(service.resolve("supervise"), Path.of("elsewhere"));
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            assertTrue(Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS));
            assertEquals("rwx------", perms(target));
            dir.write(new SuperviseState(RunState.RUN, 5, Want.UP, false, false, STAMP));
            assertEquals("5\n", Files.readString(target.resolve("pid")));
            assertEquals(0010000, type(target.resolve("control")));
        }
    }

    @Test
    void symlinkToAnExistingDirectoryIsUsed() throws IOException {
        Path target = Files.createDirectory(service.resolve("state"));
        Files.createSymbolicLink(service.resolve("supervise"), target);
        try (SuperviseDir dir = SuperviseDir.open(service)) {
            dir.write(new SuperviseState(RunState.DOWN, 0, Want.DOWN, false, false, STAMP));
            assertEquals("down\n", Files.readString(target.resolve("stat")));
        }
    }

    @Test
    void superviseThatIsAFileIsAnError() throws IOException {
        Files.writeString(service.resolve("supervise"), "");
        var e = assertThrows(IOException.class, () -> SuperviseDir.open(service));
        assertEquals(service.resolve("supervise") + ": exists and is not a directory", e.getMessage());
    }

    @Test
    void controlThatIsNotAFifoIsAnError() throws IOException {
        Files.createDirectories(service.resolve("supervise").resolve("control"));
        assertThrows(IOException.class, () -> SuperviseDir.open(service));
        // The failed open released the lock it had taken.
        Files.delete(service.resolve("supervise").resolve("control"));
        SuperviseDir.open(service).close();
    }

    @Test
    void writeAfterCloseIsAMistake() throws IOException {
        SuperviseDir dir = SuperviseDir.open(service);
        dir.close();
        dir.close();
        assertThrows(IllegalStateException.class,
                () -> dir.write(new SuperviseState(RunState.DOWN, 0, Want.DOWN, false, false, STAMP)));
    }

    @Test
    void pidDigits() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(16);
            for (int pid : new int[] {0, 1, 9, 10, 4736, 4194304, Integer.MAX_VALUE}) {
                int n = SuperviseDir.encodePid(pid, out);
                String expected = pid == 0 ? "" : pid + "\n";
                assertEquals(expected, new String(out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                        StandardCharsets.US_ASCII));
            }
        }
    }
}
