package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The C helper on its own, run from a shell the way a person would debug it. */
class VigilExecTest {
    private static final String HELPER = Spawn.helper().toString();

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    /** Runs {@code command} in {@link #dir} with exactly {@code env} as its environment. */
    private Result run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        var pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Path err = dir.resolve("stderr");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "helper did not finish");
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    /** Runs {@code sh -c script}, with $HELPER naming the helper. */
    private Result sh(String script) throws IOException, InterruptedException {
        return run(Map.of("PATH", "/usr/bin:/bin", "HELPER", HELPER), "/bin/sh", "-c", script);
    }

    @Test
    void changesDirectory() throws Exception {
        assertEquals(new Result(0, "/\n", ""), sh("exec $HELPER cwd=/ -- /bin/sh sh -c pwd"));
    }

    @Test
    void swapsFds() throws Exception {
        Files.writeString(dir.resolve("a"), "A\n");
        Files.writeString(dir.resolve("b"), "B\n");
        Result r = sh("exec 3<a 4<b; exec $HELPER fd=3:4 fd=4:3 -- /bin/sh sh -c 'cat <&3; cat <&4'");
        assertEquals(new Result(0, "B\nA\n", ""), r);
    }

    @Test
    void redirectsStdout() throws Exception {
        Result r = sh("exec 5>out; exec $HELPER fd=1:5 -- /bin/echo echo hi");
        assertEquals(new Result(0, "", ""), r);
        assertEquals("hi\n", Files.readString(dir.resolve("out")));
    }

    @Test
    void closesUnmappedFdsAndTheErrorFdAtExec() throws Exception {
        // ls reads the directory through the lowest free fd, 3; 7, 8 and the report fd 9 must all be gone.
        Result r = sh("exec 7</dev/null 8</dev/null 9>report; exec $HELPER err=9 fd=12:8 -- /bin/ls ls /proc/self/fd");
        assertEquals(0, r.exit());
        assertEquals(List.of(0, 1, 2, 3, 12), r.out().lines().map(Integer::valueOf).sorted().toList());
        assertEquals("", Files.readString(dir.resolve("report")));
    }

    @Test
    void appliesUmaskNiceLimitsAndOomScore() throws Exception {
        Result r = sh("exec $HELPER umask=077 nice=3 rlimit=core:0:inf rlimit=7:64:128 oom=500 -- /bin/sh sh -c "
                + "'umask; nice; grep -e \"core file\" -e \"open files\" /proc/self/limits | tr -s \" \"; "
                + "cat /proc/self/oom_score_adj'");
        assertEquals(new Result(0, String.join("\n", "0077", "3", "Max core file size 0 unlimited bytes ",
                "Max open files 64 128 files ", "500", ""), ""), r);
    }

    @Test
    void setsListenPidAndANewSession() throws Exception {
        Result r = sh("exec $HELPER listen-pid=1 setsid=1 -- /bin/sh sh -c "
                + "'read -r a b c d e sid rest < /proc/$$/stat; echo $LISTEN_PID $$ $sid'");
        String[] pids = r.out().strip().split(" ");
        assertEquals(3, pids.length, r.out());
        assertEquals(pids[1], pids[0]);
        assertEquals(pids[1], pids[2]);
    }

    @Test
    void blocksOnlyTheSignalsItIsToldTo() throws Exception {
        // The shell running the helper may block signals of its own: none of them survives, only block= ones.
        Result r = sh("exec $HELPER block=17 block=10 -- /bin/grep grep SigBlk /proc/self/status");
        assertEquals(new Result(0, "SigBlk:\t0000000000010200\n", ""), r);
        assertEquals(new Result(0, "SigBlk:\t0000000000000000\n", ""),
                sh("exec $HELPER -- /bin/grep grep SigBlk /proc/self/status"));
        assertEquals(111, sh("exec $HELPER block=65 -- /bin/true true").exit());
    }

    @Test
    void setsPidVariablesToItsOwnPid() throws Exception {
        Result r = sh("exec $HELPER pid-env=WATCHDOG_PID pid-env=OTHER -- /bin/sh sh -c "
                + "'echo $WATCHDOG_PID $OTHER $$'");
        String[] pids = r.out().strip().split(" ");
        assertEquals(3, pids.length, r.out());
        assertEquals(pids[2], pids[0]);
        assertEquals(pids[2], pids[1]);
        assertEquals(111, sh("exec $HELPER pid-env=A=B -- /bin/true true").exit());
    }

    @Test
    void passesTheEnvironmentThrough() throws Exception {
        assertEquals(new Result(0, "FOO=bar baz\n", ""),
                run(Map.of("FOO", "bar baz"), HELPER, "--", "/usr/bin/env", "env"));
    }

    @Test
    void resetsIgnoredAndBlockedSignals() throws Exception {
        // The shell ignores INT and QUIT (on top of whatever it inherited: here glibc's reserved 32 and 33 arrive
        // ignored); the program must get every signal at its default and none blocked.
        Result r = sh("trap '' INT QUIT; grep SigIgn /proc/self/status; "
                + "exec $HELPER -- /bin/grep grep -e SigIgn -e SigBlk /proc/self/status");
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        long before = Long.parseLong(lines.get(0).substring("SigIgn:\t".length()), 16);
        assertEquals(0b110, before & 0b110, "test setup: INT and QUIT ignored before the helper");
        assertEquals(List.of("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"), lines.subList(1, 3));
    }

    @Test
    void missingProgramExits111WithAMessage() throws Exception {
        assertEquals(new Result(111, "", "vigil-exec: exec ./run: No such file or directory\n"),
                sh("exec $HELPER -- ./run run"));
    }

    @Test
    void reportsToTheErrorFd() throws Exception {
        Result r = sh("exec 3>report; exec $HELPER err=3 cwd=/nonexistent -- /bin/true true");
        assertEquals(new Result(111, "", ""), r);
        byte[] report = Files.readAllBytes(dir.resolve("report"));
        assertEquals(Optional.of(new ExecFailure("chdir", "/nonexistent", Errno.ENOENT)), Spawn.parseFailure(report));
    }

    @Test
    void rejectsBadUsage() throws Exception {
        assertEquals(new Result(111, "", "vigil-exec: usage bogus: Invalid argument\n"),
                sh("exec $HELPER bogus -- /bin/true true"));
        assertEquals(new Result(111, "", "vigil-exec: usage nice=99: Invalid argument\n"),
                sh("exec $HELPER nice=99 -- /bin/true true"));
        assertEquals(new Result(111, "", "vigil-exec: usage missing -- PATH ARGV0: Invalid argument\n"),
                sh("exec $HELPER cwd=/ --"));
        // Even a usage error before err= goes to the error fd.
        assertEquals(new Result(111, "", ""), sh("exec 3>report; exec $HELPER nice=99 err=3 -- /bin/true true"));
        assertEquals(Optional.of(new ExecFailure("usage", "nice=99", Errno.EINVAL)),
                Spawn.parseFailure(Files.readAllBytes(dir.resolve("report"))));
    }

    @Test
    void dropsPrivileges() throws Exception {
        Assumptions.assumeTrue(Children.getuid() == 0, "needs root");
        Result r = sh("exec $HELPER groups=65534,100 gid=65534 uid=65534 nonewprivs=1 -- /bin/sh sh -c "
                + "'id -u; id -g; id -G; grep NoNewPrivs /proc/self/status'");
        assertEquals(new Result(0, "65534\n65534\n65534 100\nNoNewPrivs:\t1\n", ""), r);
    }

    @Test
    void raisesAmbientCapabilitiesAcrossTheSwitchOfUserAndDropsTheBoundingSet() throws Exception {
        Assumptions.assumeTrue(Children.getuid() == 0, "needs root");
        // CAP_NET_BIND_SERVICE (10) ambient as uid 65534, keep-caps (16) set by the caller, every other bit of
        // CAP_CHOWN..CAP_SETFCAP (0..31) out of the bounding set.
        Result r = sh("exec $HELPER capbset-drop=fffffbff securebits=16 ambient=400 groups=65534 gid=65534 uid=65534 "
                + "-- /bin/grep grep -E '^Cap(Eff|Amb)' /proc/self/status");
        assertEquals(new Result(0, "CapEff:\t0000000000000400\nCapAmb:\t0000000000000400\n", ""), r);
        Result bounding = sh("exec $HELPER capbset-drop=fffffbff -- /bin/grep grep CapBnd /proc/self/status");
        assertTrue(bounding.out().matches("CapBnd:\t[0-9a-f]{8}00000400\n"), bounding.toString());
        assertEquals(new Result(111, "", "vigil-exec: usage ambient=zz: Invalid argument\n"),
                sh("exec $HELPER ambient=zz -- /bin/true true"));
    }

    @Test
    void aRefusedOomScoreIsSaidOnTheProgramsStderrAndIgnored() throws Exception {
        // Lowering the score takes CAP_SYS_RESOURCE: uid 65534 (as root in a container) is refused, as dbus and
        // postgresql were; systemd runs the service all the same.
        Result r = sh("exec setpriv --reuid=65534 --regid=65534 --clear-groups $HELPER oom=-900 -- /bin/cat cat "
                + "/proc/self/oom_score_adj");
        Assumptions.assumeTrue(!r.out().equals("-900\n"), "this process may lower its OOM score");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().startsWith("vigil-exec: oom -900: Permission denied; ignored"), r.toString());
    }

    @Test
    void entersTheWorkingDirectoryWithTheProgramsCredentials() throws Exception {
        Assumptions.assumeTrue(Children.getuid() == 0, "needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path open = Files.createDirectory(dir.resolve("open"));
        Path rootOnly = Files.createDirectory(dir.resolve("root-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertEquals(new Result(0, open + "\n", ""),
                sh("exec $HELPER gid=65534 uid=65534 cwd=" + open + " -- /bin/sh sh -c pwd"));
        // Root could enter it; the user the program runs as cannot, and the helper asks as that user.
        assertEquals(new Result(111, "", "vigil-exec: chdir " + rootOnly + ": Permission denied\n"),
                sh("exec $HELPER gid=65534 uid=65534 cwd=" + rootOnly + " -- /bin/sh sh -c pwd"));
    }

    @Test
    void runsTheBeforeScriptToItsEndFirstWhateverItExitsWith() throws Exception {
        Path u = dir.resolve("u");
        Files.writeString(u, "#!/bin/sh\necho \"u $# [$1]\"\nexit 1\n");
        Files.setPosixFilePermissions(u, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(new Result(0, "u 1 []\nprogram\n", ""),
                sh("exec $HELPER before=" + u + " -- /bin/echo echo program"));
        // Only a script its owner may execute runs, as with runsv's control/<c>; a missing one is no error.
        Files.setPosixFilePermissions(u, PosixFilePermissions.fromString("rw-r-xr-x"));
        assertEquals(new Result(0, "program\n", ""), sh("exec $HELPER before=" + u + " -- /bin/echo echo program"));
        assertEquals(new Result(0, "program\n", ""),
                sh("exec $HELPER before=" + dir.resolve("none") + " -- /bin/echo echo program"));
    }

    @Test
    void changesRoot() throws Exception {
        Assumptions.assumeTrue(Children.getuid() == 0, "needs root");
        // The helper is static, so a copy of it is all a root needs; the inner copy then fails on purpose,
        // proving the outer one found /vigil-exec inside the new root.
        Files.copy(Spawn.helper(), dir.resolve("vigil-exec"));
        Result r = sh("exec $HELPER chroot=" + dir + " -- /vigil-exec vigil-exec -- /nonexistent x");
        assertEquals(new Result(111, "", "vigil-exec: exec /nonexistent: No such file or directory\n"), r);
        assertEquals(new Result(111, "", "vigil-exec: chroot /nonexistent: No such file or directory\n"),
                sh("exec $HELPER chroot=/nonexistent -- /bin/true true"));
    }
}
