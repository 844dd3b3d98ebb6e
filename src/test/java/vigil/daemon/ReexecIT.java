package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * {@code vigil daemon-reexec} against a real daemon: services keep their pids, the daemon its own, the log loses
 * and doubles no line, runit's {@code sv} keeps working, and a service that dies afterwards is restarted.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReexecIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+)$");
    /**
     * Numbered lines as fast as the shell makes them, with a breath every 50 (so the log stays within its default
     * 10 rotated files for the whole test) taken in the middle of a line, before its number's last digit: most
     * re-execs then come while the daemon holds a partial line, which must not be ended early.
     */
    private static final String COUNTER = """
            i=0
            while :; do
              j=0
              while [ $j -lt 49 ]; do i=$((i+1)); j=$((j+1)); echo "line $i"; done
              i=$((i+1)); printf 'line %s' "${i%?}"; sleep 0.01; echo "${i#"${i%?}"}"
            done""";

    @TempDir
    Path sandbox;
    private Path root;
    private Path socket;
    private DaemonProcess daemon;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
        socket = sandbox.resolve("run/control");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
    }

    private Tools.Result vigil(String... args) throws Exception {
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", socket.toString()), null, java(args));
    }

    /** Vigil on the test's class path, with no launcher: a JVM started without -jar. */
    private static List<String> java(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "vigil.cli.Main"));
        command.addAll(List.of(args));
        return command;
    }

    /** Re-executes and checks the answer came from the same process, now run with the handed-over state. */
    private void reexec() throws Exception {
        Tools.Result result = vigil("daemon-reexec");
        assertEquals(0, result.exit(), result.output() + "\ndaemon said:\n" + String.join("\n", daemon.lines()));
        assertTrue(result.output().contains("(pid " + daemon.pid() + ")"), result.output());
        assertTrue(Procs.cmdline(daemon.pid()).contains("--reexec-state="), Procs.cmdline(daemon.pid()));
        Tools.Result status = vigil("status");
        assertEquals(0, status.exit(), status.output());
    }

    @Test
    void tenReexecsKeepPidsAndLoseNoLogLine() throws Exception {
        Path sv = Tools.require("sv", "runit");
        Path counter = service(root, "counter", COUNTER);
        Path plain = service(root, "plain", "exec sleep 1000");
        // A service with a logger of its own: the pipe between them is handed over too, and must still reach EOF
        // when the service stops (the logger then exits on its own, as runit's do).
        Path logged = service(root, "logged", "exec sleep 1000");
        ServiceDirs.script(logged.resolve("log/run"), "exec cat");
        startDaemon();
        long counterPid = awaitRunning(counter, WAIT);
        long plainPid = awaitRunning(plain, WAIT);
        long loggerPid = awaitRunning(logged.resolve("log"), WAIT);
        Path log = DaemonProcess.logDir(sandbox).resolve("counter");
        Await.until("the counter's first lines", WAIT, () -> lastNumber(log) > 1000);

        for (int i = 0; i < 10; i++) {
            long before = lastNumber(log);
            reexec();
            assertEquals(counterPid, ServiceDirs.status(counter).pid(), "counter's pid after re-exec " + (i + 1));
            assertEquals(plainPid, ServiceDirs.status(plain).pid(), "plain's pid after re-exec " + (i + 1));
            assertEquals(loggerPid, ServiceDirs.status(logged.resolve("log")).pid(), "the logger's pid");
            assertTrue(Procs.running(counterPid) && Procs.running(plainPid));
            assertEquals(daemon.pid(), Procs.parent(counterPid), "the services are still the daemon's children");
            Tools.Result status = Tools.run(sandbox, sv.toString(), "status", counter.toString());
            assertEquals(0, status.exit(), status.output());
            assertTrue(status.output().startsWith("run: " + counter + ": (pid " + counterPid + ")"),
                    status.output());
            // The new daemon logs on: the lines keep coming.
            Await.until("lines logged after re-exec " + (i + 1), WAIT, () -> lastNumber(log) > before + 500);
        }
        assertTrue(daemon.alive());
        assertEquals(0, daemon.terminate(WAIT), String.join("\n", daemon.lines()));
        assertEquals(0, daemon.countLines("pipe not drained in time"), String.join("\n", daemon.lines()));

        List<Long> numbers = numbers(log);
        assertTrue(numbers.size() > 5000, "lines logged: " + numbers.size());
        assertConsecutive(numbers);
    }

    @Test
    void aServiceKilledAfterAReexecIsRestarted() throws Exception {
        Path plain = service(root, "plain", "exec sleep 1000");
        startDaemon();
        long pid = awaitRunning(plain, WAIT);
        reexec();
        assertEquals(pid, ServiceDirs.status(plain).pid());
        Tools.Result kill = Tools.run(sandbox, "kill", "-KILL", Long.toString(pid));
        assertEquals(0, kill.exit(), kill.output());
        long restarted = ServiceDirs.awaitRestarted(plain, pid, WAIT);
        assertNotEquals(pid, restarted);
        Await.until("pid " + pid + " reaped", WAIT, () -> !Procs.exists(pid));
    }

    @Test
    void aDaemonWithUnitsRefusesAndGoesOn() throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("u.service"), "[Service]\nExecStart=/bin/sleep 1000\n");
        Path plain = service(root, "plain", "exec sleep 1000");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString(), "--units", units.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long pid = awaitRunning(plain, WAIT);
        Tools.Result result = vigil("daemon-reexec");
        assertEquals(1, result.exit(), result.output());
        assertTrue(result.output().contains("units are loaded"), result.output());
        assertEquals(0, vigil("status").exit());
        assertEquals(pid, ServiceDirs.status(plain).pid());
        assertTrue(!Procs.cmdline(daemon.pid()).contains("--reexec-state"));
    }

    @Test
    void aFailedExecLeavesTheOldDaemonAsItWas() throws Exception {
        Path counter = service(root, "counter", COUNTER);
        Path plain = service(root, "plain", "exec sleep 1000");
        // Started without the launcher's -jar, the daemon cannot find its command line again: the exec is refused
        // after the state was gathered (logs closed, writer paused), which must all be put back.
        daemon = DaemonProcess.command(sandbox, Map.of(), java("daemon", "--control", socket.toString(),
                "--log-dir", DaemonProcess.logDir(sandbox).toString(), root.toString()));
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long pid = awaitRunning(plain, WAIT);
        awaitRunning(counter, WAIT);
        Path log = DaemonProcess.logDir(sandbox).resolve("counter");
        Await.until("the counter's first lines", WAIT, () -> lastNumber(log) > 1000);
        for (int i = 0; i < 3; i++) {
            Tools.Result result = vigil("daemon-reexec");
            assertEquals(1, result.exit(), result.output());
            assertTrue(result.output().contains("re-exec failed") && result.output().contains("-jar"),
                    result.output());
        }
        assertEquals(0, vigil("status").exit());
        // The supervise/ writer goes on: a restart shows in supervise/status.
        assertEquals(0, Tools.run(sandbox, "kill", "-KILL", Long.toString(pid)).exit());
        ServiceDirs.awaitRestarted(plain, pid, WAIT);
        long before = lastNumber(log);
        Await.until("lines logged after the failed re-execs", WAIT, () -> lastNumber(log) > before + 500);
        assertEquals(0, daemon.terminate(WAIT), String.join("\n", daemon.lines()));
        List<Long> numbers = numbers(log);
        assertConsecutive(numbers);
    }

    /**
     * 1, 2, 3... with no gap and nothing twice. The last line may be cut before its last digit: TERM stopped the
     * counter in the middle of it, and its end was written at the exit.
     */
    private static void assertConsecutive(List<Long> numbers) {
        for (int i = 0; i < numbers.size() - 1; i++) {
            assertEquals(i + 1, numbers.get(i), "line " + (i + 1) + " of the log, in order, once");
        }
        long last = numbers.getLast(), expected = numbers.size();
        assertTrue(last == expected || last == expected / 10, "the last line: " + last + " for " + expected);
    }

    /** The numbers of the counter's log lines, rotated files first (their names sort by time), then current. */
    private static List<Long> numbers(Path log) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(log)) {
            entries.filter(p -> p.getFileName().toString().startsWith("@")).sorted().forEach(files::add);
        }
        files.add(log.resolve("current"));
        List<Long> numbers = new ArrayList<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                Matcher m = NUMBERED.matcher(line);
                if (!m.find()) throw new AssertionError(file + ": a line that is no counter's: " + line);
                numbers.add(Long.parseLong(m.group(1)));
            }
        }
        return numbers;
    }

    private static long lastNumber(Path log) {
        try {
            List<String> lines = Files.readAllLines(log.resolve("current"));
            for (int i = lines.size() - 1; i >= 0; i--) {
                Matcher m = NUMBERED.matcher(lines.get(i));
                if (m.find()) return Long.parseLong(m.group(1));
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
