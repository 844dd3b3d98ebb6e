package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitDown;
import static vigil.testing.ServiceDirs.awaitRestarted;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;
import vigil.testing.Tools.Result;

/**
 * The real runit, daemontools and busybox clients against services a real Vigil daemon supervises: the
 * compatibility cases of supervise-protocol.md §7. Skipped where the Debian packages are missing; CI installs them.
 */
class RunitToolsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path root;
    private DaemonProcess daemon;

    @BeforeEach
    void makeRoot() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
    }

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", sandbox.resolve("ctl").toString(),
                root.toString());
    }

    private Result sv(String... args) throws Exception {
        return Tools.run(root, Map.of(), null, Tools.command(Tools.require("sv", "runit").toString(), args));
    }

    private Result tool(String name, String pkg, String... args) throws Exception {
        return Tools.run(root, Map.of(), null, Tools.command(Tools.require(name, pkg).toString(), args));
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    @Test
    void layoutAfterStart() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        Path supervise = svc.resolve("supervise");
        for (String fifo : List.of("control", "ok")) {
            int mode = (Integer) Files.getAttribute(supervise.resolve(fifo), "unix:mode");
            assertEquals(0010000, mode & 0170000, fifo + " is a FIFO");
        }
        assertTrue(Files.isRegularFile(supervise.resolve("lock")));
        byte[] status = Files.readAllBytes(supervise.resolve("status"));
        assertEquals(20, status.length);
        assertEquals(1, status[19], "state run");
        assertEquals('u', status[17]);
        assertEquals(pid, ByteBuffer.wrap(status, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        assertEquals(pid + "\n", Files.readString(supervise.resolve("pid")));
        assertEquals("run\n", Files.readString(supervise.resolve("stat")));
    }

    @Test
    void svStatusMatchesRunitAndTermLeavesTheLoggerAlone() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        script(svc.resolve("log/run"), "exec cat > /dev/null");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        long logPid = awaitRunning(svc.resolve("log"), WAIT);
        Result status = sv("status", "./svc");
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().matches(
                "run: \\./svc: \\(pid " + pid + "\\) [0-9]+s; run: log: \\(pid " + logPid + "\\) [0-9]+s"),
                status.output());
        assertEquals(0, sv("term", "./svc").exit());
        awaitRestarted(svc, pid, WAIT);
        assertEquals(logPid, ServiceDirs.status(svc.resolve("log")).pid(), "the logger was not restarted");
        assertTrue(Procs.running(logPid));
    }

    @Test
    void downAndUpWithVerboseWaits() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        startDaemon();
        awaitRunning(svc, WAIT);
        Result down = sv("-v", "down", "./svc");
        assertEquals(0, down.exit(), down.output());
        assertTrue(down.output().matches("ok: down: \\./svc: [0-9]+s, normally up"), down.output());
        Result up = sv("-v", "up", "./svc");
        assertEquals(0, up.exit(), up.output());
        assertTrue(up.output().matches("ok: run: \\./svc: \\(pid [0-9]+\\) [0-9]+s"), up.output());
    }

    @Test
    void finishGetsTheArgumentsOfAnSvKill() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        script(svc.resolve("finish"), "echo \"$1 $2\" >> finish-args");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        assertEquals(0, sv("kill", "./svc").exit());
        Await.until("finish to run", WAIT, () -> !linesOrEmpty(svc.resolve("finish-args")).isEmpty());
        assertEquals(List.of("-1 9"), lines(svc.resolve("finish-args")));
        assertFalse(Procs.running(pid));
    }

    private static List<String> linesOrEmpty(Path file) {
        try {
            return lines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    @Test
    void aQuickExitRestartsAtMostOncePerSecondAndALongRunAtOnce() throws Exception {
        Path quick = service(root, "quick", "date +%s%N >> starts; exit 0");
        Path slow = service(root, "slow", "date +%s%N >> starts; sleep 1.2; date +%s%N >> ends; exit 0");
        startDaemon();
        Await.until("three quick starts", WAIT, () -> linesOrEmpty(quick.resolve("starts")).size() >= 3);
        List<Long> starts = lines(quick.resolve("starts")).stream().map(Long::parseLong).toList();
        for (int i = 1; i < starts.size(); i++) {
            assertTrue(starts.get(i) - starts.get(i - 1) >= 900_000_000L, "restarts 1 s apart or more: " + starts);
        }
        Await.until("the slow one to restart", WAIT, () -> linesOrEmpty(slow.resolve("starts")).size() >= 2);
        long end = Long.parseLong(lines(slow.resolve("ends")).getFirst());
        long restart = Long.parseLong(lines(slow.resolve("starts")).get(1));
        assertTrue(restart - end < 500_000_000L, "a run of 1.2 s restarts at once, not after a backoff: "
                + (restart - end) / 1_000_000 + " ms");
    }

    @Test
    void onceMarksWantDownAndDoesNotRestart() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        Files.createFile(svc.resolve("down"));
        startDaemon();
        Await.until("status written", WAIT, () -> ServiceDirs.status(svc) != null);
        assertEquals(0, sv("once", "./svc").exit());
        long pid = awaitRunning(svc, WAIT);
        assertEquals('d', ServiceDirs.status(svc).want());
        assertEquals(0, Tools.run(root, "kill", Long.toString(pid)).exit());
        awaitDown(svc, WAIT);
        Result status = sv("status", "./svc");
        assertTrue(status.output().startsWith("down: ./svc: "), status.output());
        assertEquals(0, ServiceDirs.status(svc).pid(), "not restarted");
    }

    @Test
    void svCheckWaitsForTheCheckScript() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        script(svc.resolve("check"), "[ -e ready ]");
        startDaemon();
        awaitRunning(svc, WAIT);
        Result failing = sv("-w", "2", "check", "./svc");
        assertEquals(1, failing.exit(), failing.output());
        assertTrue(failing.output().startsWith("timeout: run: ./svc: "), failing.output());
        Files.createFile(svc.resolve("ready"));
        Result passing = sv("-w", "5", "check", "./svc");
        assertEquals(0, passing.exit(), passing.output());
    }

    @Test
    void lsbModeThroughASymlinkNamedAfterTheService() throws Exception {
        Path svc = service(root, "foo", "exec sleep 1000");
        startDaemon();
        awaitRunning(svc, WAIT);
        Path link = Files.createSymbolicLink(sandbox.resolve("foo"), Tools.require("sv", "runit"));
        Map<String, String> env = Map.of("SVDIR", root.toString());
        assertEquals(0, Tools.run(sandbox, env, null, List.of(link.toString(), "status")).exit());
        assertEquals(0, Tools.run(sandbox, env, null, List.of(link.toString(), "stop")).exit());
        awaitDown(svc, WAIT);
        Result down = Tools.run(sandbox, env, null, List.of(link.toString(), "status"));
        assertEquals(3, down.exit(), down.output());
    }

    @Test
    void afterExitTheSupervisorIsGone() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        Result exit = sv("-v", "exit", "./svc");
        assertEquals(0, exit.exit(), exit.output());
        Result status = sv("s", "./svc");
        assertEquals("fail: ./svc: runsv not running", status.output());
        assertEquals(100, tool("svok", "daemontools", "./svc").exit());
        assertFalse(Procs.running(pid));
        daemon.awaitLine("svc: killed by SIGTERM after .*; stopped", WAIT);
    }

    @Test
    void exitIsIgnoredByALogger() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        script(svc.resolve("log/run"), "exec cat > /dev/null");
        startDaemon();
        long logPid = awaitRunning(svc.resolve("log"), WAIT);
        assertEquals(0, tool("svc", "daemontools", "-x", "./svc/log").exit());
        // A byte applied after the x shows the x was read and passed over.
        assertEquals(0, sv("-v", "pause", "./svc/log").exit());
        assertTrue(Procs.running(logPid), "the logger kept running");
        assertEquals(0, tool("svok", "daemontools", "./svc/log").exit());
    }

    @Test
    void daemontoolsSvcSvstatAndSvok() throws Exception {
        Path svc = service(root, "svc", "trap 'echo hup >> got' HUP; while :; do sleep 0.1; done");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        Result svstat = tool("svstat", "daemontools", "./svc");
        assertTrue(svstat.output().matches("\\./svc: up \\(pid " + pid + "\\) [0-9]+ seconds"), svstat.output());
        assertEquals(0, tool("svok", "daemontools", "./svc").exit());

        tool("svc", "daemontools", "-p", "./svc");
        Await.until("paused", WAIT, () -> statByte(svc, 16) == 1 && "T".equals(procState(pid)));
        tool("svc", "daemontools", "-c", "./svc");
        Await.until("continued", WAIT, () -> statByte(svc, 16) == 0 && !"T".equals(procState(pid)));
        tool("svc", "daemontools", "-h", "./svc");
        Await.until("HUP handled", WAIT, () -> linesOrEmpty(svc.resolve("got")).contains("hup"));
        tool("svc", "daemontools", "-t", "./svc");
        long second = awaitRestarted(svc, pid, WAIT);
        tool("svc", "daemontools", "-d", "./svc");
        awaitDown(svc, WAIT);
        assertFalse(Procs.running(second));
        tool("svc", "daemontools", "-u", "./svc");
        awaitRestarted(svc, second, WAIT);
        tool("svc", "daemontools", "-x", "./svc");
        Await.until("the supervisor gone", WAIT, () -> {
            try {
                return tool("svok", "daemontools", "./svc").exit() == 100;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void busyboxSvcAndSvok() throws Exception {
        Path busybox = Tools.require("busybox", "busybox");
        Path svc = service(root, "svc", "trap 'echo hup >> got' HUP; while :; do sleep 0.1; done");
        startDaemon();
        awaitRunning(svc, WAIT);
        Result hup = Tools.run(root, busybox.toString(), "svc", "-h", "./svc");
        assertEquals(0, hup.exit(), hup.output());
        Await.until("HUP handled", WAIT, () -> linesOrEmpty(svc.resolve("got")).contains("hup"));
        // busybox svok opens ok blocking: it would hang on a FIFO without a reader, hence the timeout.
        Result ok = Tools.run(root, "timeout", "5", busybox.toString(), "svok", "./svc");
        assertEquals(0, ok.exit(), ok.output());
    }

    @Test
    void controlScriptExitingZeroReplacesTheSignal() throws Exception {
        Path svc = service(root, "svc", "trap 'echo term >> got; exit 0' TERM; while :; do sleep 0.1; done");
        script(svc.resolve("control/t"), "echo ran >> control-t; exit 0");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        assertEquals(0, sv("term", "./svc").exit());
        Await.until("control/t ran", WAIT, () -> linesOrEmpty(svc.resolve("control-t")).size() == 1);
        // A byte written after the t is applied only once control/t is done: its effect shows the t is over.
        assertEquals(0, sv("-v", "pause", "./svc").exit());
        assertTrue(Procs.running(pid), "no TERM was sent");
        assertTrue(linesOrEmpty(svc.resolve("got")).isEmpty());
        sv("cont", "./svc");

        script(svc.resolve("control/t"), "echo ran >> control-t; exit 1");
        assertEquals(0, sv("term", "./svc").exit());
        Await.until("TERM sent after control/t failed", WAIT,
                () -> linesOrEmpty(svc.resolve("got")).contains("term"));
        awaitRestarted(svc, pid, WAIT);
        assertEquals(2, lines(svc.resolve("control-t")).size());
    }

    @Test
    void aSlowControlScriptBlocksOnlyItsOwnService() throws Exception {
        Path slow = service(root, "slow", "exec sleep 1000");
        script(slow.resolve("control/h"), "while [ ! -e go ]; do sleep 0.05; done; exit 0");
        Path other = service(root, "other", "exec sleep 1000");
        startDaemon();
        awaitRunning(slow, WAIT);
        long otherPid = awaitRunning(other, WAIT);
        assertEquals(0, sv("hup", "./slow").exit());
        assertEquals(0, sv("down", "./slow").exit(), "written to the FIFO, not applied yet");
        Result restart = sv("-w", "10", "restart", "./other");
        assertEquals(0, restart.exit(), "another service is served while control/h runs: " + restart.output());
        // sv may accept the old pid if it looks before the bytes are read (runsv has the same race): wait.
        awaitRestarted(other, otherPid, WAIT);
        assertEquals('u', ServiceDirs.status(slow).want(), "the slow service's later bytes still wait");
        Files.createFile(slow.resolve("go"));
        awaitDown(slow, WAIT);
    }

    @Test
    void supervisorTermRunsFinishAndLetsTheLoggerDrain() throws Exception {
        Path svc = service(root, "svc",
                "trap 'echo last words; exit 0' TERM; echo first; while :; do sleep 0.05; done");
        script(svc.resolve("finish"), "echo finish ran");
        script(svc.resolve("log/run"),
                "while IFS= read -r line; do echo \"$line\" >> ../lines; done; echo eof >> ../lines");
        startDaemon();
        awaitRunning(svc, WAIT);
        Await.until("the first line", WAIT, () -> linesOrEmpty(svc.resolve("lines")).contains("first"));
        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(List.of("first", "last words", "finish ran", "eof"), lines(svc.resolve("lines")));
    }

    private static int statByte(Path svc, int index) {
        try {
            byte[] b = Files.readAllBytes(svc.resolve("supervise/status"));
            return b.length == 20 ? b[index] : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static String procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException e) {
            return "?";
        }
    }
}
