package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SpawnerTest {
    private final StartedChildren children = new StartedChildren();
    private Spawner spawner;

    @BeforeEach
    void startSpawner() {
        spawner = Spawner.start();
        assumeTrue(spawner.hasOwnFileTable(), "this kernel lets no thread have a file table of its own");
    }

    @AfterEach
    void cleanUp() throws OsException {
        spawner.close();
        children.cleanUp();
    }

    private static ExecSpec.Builder sh(String script) {
        return ExecSpec.builder(Path.of("/bin/sh"), List.of("sh", "-c", script))
                .environment(Map.of("PATH", "/usr/bin:/bin"));
    }

    private static long openFds(Path fdDirectory) throws IOException {
        try (Stream<Path> fds = Files.list(fdDirectory)) {
            return fds.count();
        }
    }

    @Test
    void theSpawnerThreadKeepsItsTableSmallWhileItsChildrenGetTheFdsTheyNeed() throws Exception {
        for (int i = 0; i < 100; i++) children.fdPair(Fds.pipe(0));
        int[] out = children.fdPair(Fds.pipe(0)); // made after the spawner started
        Spawned s = children.track(spawner.spawn(sh("echo hi >&5").fd(5, out[1]).build()));
        Fds.close(out[1]);
        assertEquals("hi\n", StartedChildren.readAll(out[0]));
        assertEquals(ExitStatus.exited(0), children.reap(s.pid()));

        Path spawnerFds = Path.of("/proc/self/task/" + spawner.threadId().orElseThrow() + "/fd");
        long shared = openFds(Path.of("/proc/self/fd"));
        long own = openFds(spawnerFds);
        assertTrue(shared > 200, "the test's table holds its pipes: " + shared);
        assertTrue(own < 50, "the spawner's table holds only what was open when it started: " + own);
    }

    /** How many fds of the table in {@code fdDirectory} are the pipe {@code pipeFd} is an end of. */
    private static long endsOf(int pipeFd, Path fdDirectory) throws IOException {
        Path pipe = Files.readSymbolicLink(Path.of("/proc/self/fd/" + pipeFd));
        try (Stream<Path> fds = Files.list(fdDirectory)) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(pipe);
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    @Timeout(30)
    void aKeptFdLivesInTheSpawnersTableOnlyAndEveryChildGetsIt() throws Exception {
        int[] pipe = children.fdPair(Fds.pipe(0));
        Spawner.Kept writeEnd = spawner.keep(pipe[1]);
        Path keeperFds = Path.of("/proc/self/task/" + spawner.keeperThreadId().orElseThrow() + "/fd");
        Path spawnerFds = Path.of("/proc/self/task/" + spawner.threadId().orElseThrow() + "/fd");
        assertEquals(1, endsOf(pipe[0], Path.of("/proc/self/fd")), "the caller's table holds the read end only");
        assertEquals(1, endsOf(pipe[0], keeperFds), "the keeper's holds the write end");
        assertEquals(0, endsOf(pipe[0], spawnerFds), "the spawner's does not: every child would get a copy");
        for (String word : List.of("one", "two")) {
            Spawned s = children.track(spawner.spawn(sh("echo " + word).keptFd(1, writeEnd).build()));
            assertEquals(ExitStatus.exited(0), children.reap(s.pid()));
        }
        assertEquals(1, endsOf(pipe[0], keeperFds), "still kept after the children are gone");
        assertEquals(0, endsOf(pipe[0], spawnerFds), "the spawner closed its copies");
        // The spawner's copy is the last write end: once it is released, the pipe reads to its end.
        spawner.release(writeEnd);
        assertEquals("one\ntwo\n", StartedChildren.readAll(pipe[0]));
        assertThrows(OsException.class, () -> spawner.spawn(sh("true").keptFd(1, writeEnd).build()),
                "a released fd cannot be named");
    }

    @Test
    void aClosedSpawnerRefusesKeptFdsAndReleasingThemIsHarmless() throws Exception {
        int[] pipe = children.fdPair(Fds.pipe(0));
        Spawner.Kept writeEnd = spawner.keep(pipe[1]);
        spawner.close();
        // Its number is the keeper's, whose table is gone: in this one it could name anything.
        OsException refused = assertThrows(OsException.class,
                () -> spawner.spawn(sh("echo hi").keptFd(1, writeEnd).build()));
        assertEquals(Errno.EBADF, refused.errno());
        spawner.release(writeEnd);
    }

    @Test
    void anInterruptWhileTheThreadsStartDoesNotCostThemTheirTables() {
        Thread.currentThread().interrupt();
        Spawner interrupted = Spawner.start();
        try {
            assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
            assertTrue(interrupted.hasOwnFileTable());
            assertTrue(interrupted.keeperThreadId().isPresent());
        } finally {
            interrupted.close();
        }
    }

    @Test
    void theSpawnerThreadLeavesSigchldToOtherThreads() throws IOException {
        String status = Files.readString(Path.of("/proc/self/task/" + spawner.threadId().orElseThrow() + "/status"));
        String blocked = status.lines().filter(l -> l.startsWith("SigBlk:")).findFirst().orElseThrow();
        long mask = Long.parseUnsignedLong(blocked.substring(7).strip(), 16);
        assertEquals(1L << (Signals.SIGCHLD - 1), mask & (1L << (Signals.SIGCHLD - 1)));
    }

    @Test
    void anExecFailureIsReportedOnAPipeInTheCallersTable(@TempDir Path dir) throws OsException {
        Path missing = dir.resolve("run");
        // nice needs vigil-exec, which reports on a pipe the spawner thread made.
        Spawned s = children.track(spawner.spawn(ExecSpec.builder(missing, List.of("run")).nice(1).build()));
        assertEquals(Optional.of(new ExecFailure("exec", missing.toString(), Errno.ENOENT)), s.awaitExec());
        assertEquals(ExitStatus.exited(111), children.reap(s.pid()));
    }

    @Test
    void aSourceFdThatIsNotOpenFailsTheSpawn() {
        var e = assertThrows(OsException.class, () -> spawner.spawn(sh("exit 0").fd(3, 1000).build()));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void afterCloseSpawnsRunOnTheCallersThread() throws OsException {
        spawner.close();
        assertFalse(spawner.hasOwnFileTable());
        Spawned s = children.track(spawner.spawn(sh("exit 4").build()));
        assertEquals(ExitStatus.exited(4), children.reap(s.pid()));
    }
}
