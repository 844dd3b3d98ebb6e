package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRestarted;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
import vigil.testing.Tools;

/**
 * The {@code control/<c>} scripts where runsv 2.1.2 runs them (supervise-protocol.md §1.5): control/u before every
 * ./run whatever it exits with, control/t in place of TERM for {@code d}, {@code x} and {@code t}, and the paused
 * flag following {@code p} and {@code c} even when a script acts instead of the signal. Bytes go straight into
 * supervise/control, as any client's would.
 */
class ControlScriptsIT {
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

    private static void control(Path svc, String bytes) throws IOException {
        Files.writeString(svc.resolve("supervise/control"), bytes, StandardCharsets.US_ASCII);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static byte statusByte(Path svc, int index) {
        try {
            byte[] b = Files.readAllBytes(svc.resolve("supervise/status"));
            return b.length == 20 ? b[index] : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean okHasNoReader(Path svc) {
        try {
            return Tools.run(svc, "timeout", "1", "sh", "-c", "echo > supervise/ok").exit() == 124;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String procState(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        int close = stat.lastIndexOf(')');
        return stat.substring(close + 2, close + 3);
    }

    @Test
    void controlURunsBeforeEveryRunAndItsExitDoesNotMatter() throws Exception {
        // Exit 0 would mean "done instead" for a signal command; for u, runsv ignores the exit and starts ./run.
        Path svc = service(root, "svc", "echo run >> order; exec sleep 1000");
        script(svc.resolve("control/u"), "echo \"u $# [$1]\" >> order; exit 0");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        Await.until("run started after control/u", WAIT, () -> lines(svc.resolve("order")).size() == 2);
        assertEquals(List.of("u 1 []", "run"), lines(svc.resolve("order")));

        // An automatic restart (after a KILL) runs it too, as runsv's startservice does.
        control(svc, "k");
        awaitRestarted(svc, pid, WAIT);
        Await.until("run restarted after control/u", WAIT, () -> lines(svc.resolve("order")).size() == 4);
        assertEquals(List.of("u 1 []", "run", "u 1 []", "run"), lines(svc.resolve("order")));
    }

    @Test
    void exitWithAControlTExitingZeroSendsNoSignalThenRunsControlX() throws Exception {
        Path svc = service(root, "svc", "trap 'echo term >> got' TERM; while [ ! -e stop ]; do sleep 0.05; done");
        script(svc.resolve("control/t"), "echo \"t [$1]\" >> calls; exit 0");
        script(svc.resolve("control/x"), "echo \"x [$1]\" >> calls");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        control(svc, "x");
        Await.until("control/t and control/x ran", WAIT, () -> lines(svc.resolve("calls")).size() == 2);
        assertEquals(List.of("t [" + pid + "]", "x [" + pid + "]"), lines(svc.resolve("calls")));
        assertTrue(Procs.running(pid), "control/t stood in for the TERM");
        assertTrue(lines(svc.resolve("got")).isEmpty(), "no TERM reached the service");

        // The service is forgotten once it has exited on its own: nobody reads the ok FIFO any more.
        Files.createFile(svc.resolve("stop"));
        daemon.awaitLine("svc: exited 0 after .*; stopped", WAIT);
        assertFalse(Procs.running(pid));
        assertTrue(lines(svc.resolve("got")).isEmpty());
        // The FIFOs are closed just after that line. Opening ok for writing then blocks, as nobody holds it open
        // for reading: timeout's 124 says so.
        Await.until("nobody reading supervise/ok", WAIT, () -> okHasNoReader(svc));
    }

    @Test
    void downWithAFailingControlTSendsTermThenRunsControlD() throws Exception {
        Path svc = service(root, "svc", "trap 'echo term >> got; exit 0' TERM; while :; do sleep 0.05; done");
        script(svc.resolve("control/t"), "echo t >> calls; exit 1");
        script(svc.resolve("control/d"), "echo d >> calls");
        startDaemon();
        awaitRunning(svc, WAIT);
        control(svc, "d");
        vigil.testing.ServiceDirs.awaitDown(svc, WAIT);
        Await.until("control/d ran", WAIT, () -> lines(svc.resolve("calls")).size() == 2);
        assertEquals(List.of("t", "d"), lines(svc.resolve("calls")));
        assertEquals(List.of("term"), lines(svc.resolve("got")));
    }

    @Test
    void pauseAndContinueSetTheFlagEvenWhenAScriptActsInstead() throws Exception {
        Path svc = service(root, "svc", "exec sleep 1000");
        script(svc.resolve("control/p"), "echo p >> calls; exit 0");
        script(svc.resolve("control/c"), "echo c >> calls; exit 0");
        startDaemon();
        long pid = awaitRunning(svc, WAIT);
        control(svc, "p");
        Await.until("paused flag set", WAIT, () -> statusByte(svc, 16) == 1);
        assertEquals(List.of("p"), lines(svc.resolve("calls")));
        assertFalse(procState(pid).equals("T"), "control/p stood in for the STOP");
        control(svc, "c");
        Await.until("paused flag cleared", WAIT, () -> statusByte(svc, 16) == 0);
        assertEquals(List.of("p", "c"), lines(svc.resolve("calls")));
    }
}
