package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.cgroup.Hierarchy;
import vigil.testing.TestCgroup;

class SpawnTest {
    private final StartedChildren children = new StartedChildren();

    @AfterEach
    void cleanUp() throws OsException {
        children.cleanUp();
    }

    private static ExecSpec.Builder sh(String script) {
        return ExecSpec.builder(Path.of("/bin/sh"), List.of("sh", "-c", script))
                .environment(Map.of("PATH", "/usr/bin:/bin"));
    }

    /** Runs the spec with its stdout on a pipe; returns what it printed once it has exited, plus the exit. */
    private record Output(String text, ExitStatus status) {}

    private Output run(ExecSpec.Builder spec) throws OsException {
        int[] out = children.fdPair(Fds.pipe(0));
        Spawned s = children.spawn(spec.fd(1, out[1]).build());
        Fds.close(out[1]);
        assertEquals(Optional.empty(), s.awaitExec().map(ExecFailure::describe));
        String text = StartedChildren.readAll(out[0]);
        return new Output(text, children.reap(s.pid()));
    }

    @Test
    void exitCodeComesBackThroughWaitPid() throws OsException {
        Spawned s = children.spawn(sh("exit 3").build());
        assertEquals(Optional.empty(), s.awaitExec());
        assertEquals(ExitStatus.exited(3), children.reap(s.pid()));
    }

    @Test
    void sendSignalKillsTheProgram() throws OsException {
        Spawned s = children.spawn(ExecSpec.builder(Path.of("/bin/sleep"), List.of("sleep", "100")).build());
        assertEquals(Optional.empty(), s.awaitExec());
        assertTrue(Children.sendSignal(s.pid(), Signals.SIGKILL));
        assertEquals(ExitStatus.killed(Signals.SIGKILL), children.reap(s.pid()));
    }

    @Test
    void errorPipeReachesEofAtExecWhileTheProgramRuns() throws OsException {
        Spawned s = children.spawn(ExecSpec.builder(Path.of("/bin/sleep"), List.of("sleep", "100")).build());
        assertEquals(Optional.empty(), s.awaitExec());
        assertEquals(Optional.empty(), Children.waitPid(s.pid(), false), "sleep must still be running");
    }

    @Test
    void execFailureIsReportedAndExits111(@TempDir Path dir) throws OsException {
        Path missing = dir.resolve("run");
        Spawned s = children.spawn(ExecSpec.builder(missing, List.of("run")).build());
        ExecFailure failure = s.awaitExec().orElseThrow();
        assertEquals(new ExecFailure("exec", missing.toString(), Errno.ENOENT), failure);
        assertEquals("exec " + missing + ": No such file or directory", failure.describe());
        assertEquals(ExitStatus.exited(111), children.reap(s.pid()));
    }

    @Test
    void badWorkingDirectoryIsReportedAsChdir() throws OsException {
        Spawned s = children.spawn(sh("exit 0").workingDirectory(Path.of("/nonexistent/dir")).build());
        assertEquals("chdir /nonexistent/dir: No such file or directory",
                s.awaitExec().orElseThrow().describe());
        assertEquals(ExitStatus.exited(111), children.reap(s.pid()));
    }

    @Test
    void fdAppearsAtItsTargetNumber() throws OsException {
        int[] pipe = children.fdPair(Fds.pipe(0));
        Spawned s = children.spawn(sh("echo hi >&5").fd(5, pipe[1]).build());
        Fds.close(pipe[1]);
        assertEquals(Optional.empty(), s.awaitExec());
        assertEquals("hi\n", StartedChildren.readAll(pipe[0]));
        assertEquals(ExitStatus.exited(0), children.reap(s.pid()));
    }

    @Test
    void onlyMappedFdsReachTheProgram() throws OsException {
        // Vigil's own fds are close-on-exec and the error pipe is too: the program gets 0, 1, 2 and its targets.
        // ls's listing includes the handle it reads the directory through, the lowest free fd: 3.
        int[] extra = children.fdPair(Fds.pipe(0));
        Output out = run(ExecSpec.builder(Path.of("/bin/ls"), List.of("ls", "/proc/self/fd")).fd(7, extra[0]));
        assertEquals(List.of("0", "1", "2", "3", "7"), out.text().lines().toList());
    }

    @Test
    void environmentIsExactlyTheSpecsPlusListenPid() throws OsException {
        var spec = ExecSpec.builder(Path.of("/usr/bin/env"), List.of("env"))
                .environment(Map.of("FOO", "bar baz"))
                .listenPid(true);
        int[] out = children.fdPair(Fds.pipe(0));
        Spawned s = children.spawn(spec.fd(1, out[1]).build());
        Fds.close(out[1]);
        String printed = StartedChildren.readAll(out[0]);
        assertEquals(List.of("FOO=bar baz", "LISTEN_PID=" + s.pid()), printed.lines().sorted().toList());
        assertEquals(ExitStatus.exited(0), children.reap(s.pid()));
    }

    @Test
    void sessionUmaskNiceAndLimitsAreApplied(@TempDir Path dir) throws OsException {
        Output out = run(sh("read -r a b c d e sid rest < /proc/$$/stat; [ $sid = $$ ] && echo leader; umask; "
                + "cat /proc/self/limits | grep 'open files' | tr -s ' '; /usr/bin/nice; pwd")
                .newSession(true).umask(027).nice(7).rlimit(ExecSpec.Rlimit.NOFILE, 100, 200)
                .workingDirectory(dir));
        assertEquals(List.of("leader", "0027", "Max open files 100 200 files ", "7", dir.toString()),
                out.text().lines().toList());
    }

    @Test
    void programStartsWithDefaultSignalsAndAnEmptyMask() throws OsException {
        var grep = ExecSpec.builder(Path.of("/bin/grep"), List.of("grep", "-e", "SigBlk", "-e", "SigIgn",
                "/proc/self/status"));
        var expected = List.of("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000");
        assertEquals(expected, run(grep).text().lines().toList(), "spawned directly");
        assertEquals(expected, run(grep.umask(022)).text().lines().toList(), "through vigil-exec");
    }

    @Test
    void onlySpecsThatNeedTheHelperGoThroughIt(@TempDir Path dir) throws OsException {
        Spawned direct = children.spawn(sh("exit 0").newSession(true).workingDirectory(dir).fd(5, 1).build());
        assertEquals(OptionalInt.empty(), direct.errorPipeReadFd(), "fds, cwd and setsid need no helper");
        assertEquals(ExitStatus.exited(0), children.reap(direct.pid()));
        Spawned helped = children.spawn(sh("exit 0").nice(1).build());
        assertTrue(helped.errorPipeReadFd().isPresent(), "nice needs the helper");
        assertEquals(Optional.empty(), helped.awaitExec());
        assertEquals(ExitStatus.exited(0), children.reap(helped.pid()));
    }

    @Test
    void aSpecThatJoinsOnlyItsCgroupIsClonedIntoItWithoutTheHelperWhereLibcCan() throws Exception {
        Assumptions.assumeTrue(Native.IntoCgroup.SET_CGROUP.isPresent(),
                "libc is older than 2.39: vigil-exec joins the cgroup");
        try (TestCgroup cgroup = TestCgroup.create("spawn-into")) {
            Path mount = Hierarchy.find().orElseThrow().mount();
            int[] out = children.fdPair(Fds.pipe(0));
            Spawned s = children.spawn(sh("grep '^0::' /proc/$$/cgroup").cgroup(cgroup.directory()).newSession(true)
                    .fd(1, out[1]).build());
            Fds.close(out[1]);
            assertEquals(OptionalInt.empty(), s.errorPipeReadFd(), "cloned into its cgroup: no vigil-exec");
            assertEquals("0::/" + mount.relativize(cgroup.directory()) + "\n", StartedChildren.readAll(out[0]));
            assertEquals(ExitStatus.exited(0), children.reap(s.pid()));
        }
    }

    @Test
    void aCgroupThatIsGoneFailsTheSpawnAtItsStep(@TempDir Path dir) throws OsException {
        Path gone = dir.resolve("web.service");
        Spawned s = children.spawn(sh("exit 0").cgroup(gone).build());
        assertEquals("cgroup " + gone + ": No such file or directory", s.awaitExec().orElseThrow().describe());
        assertEquals(ExitStatus.exited(111), children.reap(s.pid()));
    }

    @Test
    void directSpawnGivesSessionAndWorkingDirectory(@TempDir Path dir) throws OsException {
        Output out = run(sh("read -r a b c d e sid rest < /proc/$$/stat; [ $sid = $$ ] && echo leader; pwd")
                .newSession(true).workingDirectory(dir));
        assertEquals(List.of("leader", dir.toString()), out.text().lines().toList());
    }

    @Test
    void credentialsAreDroppedToTheGivenIds() throws OsException {
        Assumptions.assumeTrue(Children.getuid() == 0, "needs root");
        Output out = run(sh("id -u; id -g; id -G; grep NoNewPrivs /proc/self/status")
                .uid(65534).gid(65534).groups(List.of(65534, 100)).noNewPrivileges(true));
        assertEquals(List.of("65534", "65534", "65534 100", "NoNewPrivs:\t1"), out.text().lines().toList());
    }

    @Test
    void unopenedSourceFdFailsTheSpawnItself() {
        var e = assertThrows(OsException.class, () -> children.spawn(sh("exit 0").fd(3, 1000).build()));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void helperSitsNextToTheClasses() {
        assertEquals(Path.of("target", "vigil-exec").toAbsolutePath(), Spawn.helper());
    }

    @Test
    void parsesReports() {
        assertEquals(Optional.of(new ExecFailure("exec", "./my run", 2)),
                Spawn.parseFailure("2 exec ./my run".getBytes()));
        assertEquals(Optional.of(new ExecFailure("setsid", "", 1)), Spawn.parseFailure("1 setsid ".getBytes()));
        assertEquals(Optional.empty(), Spawn.parseFailure("".getBytes()));
        assertEquals(Optional.empty(), Spawn.parseFailure("x exec ./run".getBytes()));
        assertEquals(Optional.empty(), Spawn.parseFailure("2 exec".getBytes()));
        assertEquals(Optional.empty(), Spawn.parseFailure("2  ./run".getBytes()));
    }
}
