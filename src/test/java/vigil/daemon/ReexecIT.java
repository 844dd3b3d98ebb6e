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
import vigil.testing.Nobody;
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
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                // The test's class path has the staged jar (target/jar/), with no vigil-exec beside it: the daemon
                // spawns every service in its cgroup through the helper, so it is named.
                "-Dvigil.exec=" + Path.of(System.getProperty("vigil.launcher")).resolveSibling("target/vigil-exec"),
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
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

    /** A Type=notify unit's program: READY=1 on NOTIFY_SOCKET, then numbered lines as the shell counter prints. */
    private static final String NOTIFY_COUNTER = """
            import os, socket, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(b"READY=1")
            i = 0
            while True:
                for _ in range(49):
                    i += 1
                    sys.stdout.write("line %d\\n" % i)
                i += 1
                sys.stdout.write("line %s" % str(i)[:-1])
                sys.stdout.flush()
                time.sleep(0.01)
                sys.stdout.write(str(i)[-1] + "\\n")
            """;

    /**
     * A wrapper that starts the real daemon, names it with MAINPID= and waits for it: the unit's main process is then
     * no child of Vigil's, and a re-exec must take it again through a pidfd and its start time.
     */
    private static final String WRAPPER = """
            import os, socket, time
            pid = os.fork()
            if pid == 0:
                while True:
                    time.sleep(1000)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(("MAINPID=%d\\nREADY=1" % pid).encode())
            os.waitpid(pid, 0)
            """;

    @Test
    void unitsAndTransientServicesGoOnAcrossFiveReexecs() throws Exception {
        Nobody.require();
        Nobody.letIn(sandbox);
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Path script = sandbox.resolve("counter.py");
        Files.writeString(script, NOTIFY_COUNTER);
        Files.writeString(units.resolve("counter.service"), "[Service]\nType=notify\nExecStart=/usr/bin/python3 "
                + script + "\n");
        Path wrapper = sandbox.resolve("wrapper.py");
        Files.writeString(wrapper, WRAPPER);
        Files.writeString(units.resolve("wrapped.service"), "[Service]\nType=notify\nExecStart=/usr/bin/python3 "
                + wrapper + "\n");
        Files.writeString(units.resolve("simple.service"),
                "[Service]\nExecStart=/bin/sleep 1000\nRestart=always\nRestartSec=0\n");
        // A limit of one transient service per user: a second add by the same owner is refused, after the re-execs
        // too, which shows the owner was carried over.
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--user-services", "1", root.toString(), "--units",
                units.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long counterPid = awaitUnit("counter", "active (running)");
        long simplePid = awaitUnit("simple", "active (running)");
        long wrappedPid = awaitUnit("wrapped", "active (running)");
        long wrapperPid = Procs.parent(wrappedPid);
        assertNotEquals(daemon.pid(), wrapperPid, "the wrapped daemon is no child of Vigil's");
        Tools.Result added = asNobody("add", "job", "--", "sleep", "1000");
        assertEquals(0, added.exit(), added.output());
        long jobPid = Await.value("the transient job's pid", WAIT, () -> {
            long pid = transientPid("job");
            return pid > 0 && Procs.cmdline(pid).startsWith("sleep") ? pid : null;
        });
        Path log = DaemonProcess.logDir(sandbox).resolve("counter.service");
        Await.until("the unit's first lines", WAIT, () -> lastNumber(log) > 1000);

        for (int i = 0; i < 5; i++) {
            long before = lastNumber(log);
            reexec();
            assertEquals(counterPid, awaitUnit("counter", "active (running)"), "counter's pid, re-exec " + (i + 1));
            assertEquals(simplePid, awaitUnit("simple", "active (running)"), "simple's pid, re-exec " + (i + 1));
            assertEquals(wrappedPid, awaitUnit("wrapped", "active (running)"), "wrapped's pid, re-exec " + (i + 1));
            assertEquals(jobPid, transientPid("job"), "the transient job's pid, re-exec " + (i + 1));
            Await.until("the unit's lines logged after re-exec " + (i + 1), WAIT,
                    () -> lastNumber(log) > before + 500);
        }
        // The units' pid records, which a Vigil started after a crash reads, name the processes that run.
        Path records = socket.getParent().resolve("units");
        for (String unit : List.of("counter", "simple", "wrapped")) {
            long pid = awaitUnit(unit, "active (running)");
            Await.until(unit + "'s record of pid " + pid, WAIT, () -> recordedMain(records.resolve(unit + ".service"))
                    .equals("main " + pid + " "));
        }
        String job = statusOf("job");
        assertTrue(Pattern.compile("runs as:\\s+uid " + Nobody.UID + "\n").matcher(job).find(), job);
        assertTrue(Pattern.compile("transient:\\s+yes").matcher(job).find(), job);
        Tools.Result second = asNobody("add", "job2", "--", "sleep", "1000");
        assertEquals(1, second.exit(), second.output());
        assertTrue(second.output().contains("uid " + Nobody.UID + " already has 1 transient services"),
                second.output());

        // Restart=always still holds for a unit killed after the re-execs.
        assertEquals(0, Tools.run(sandbox, "kill", "-KILL", Long.toString(simplePid)).exit());
        long restarted = Await.value("simple restarted", WAIT, () -> {
            long pid = awaitUnit("simple", "active");
            return pid != simplePid && pid != 0 ? pid : null;
        });
        assertNotEquals(simplePid, restarted);
        Await.until("the killed pid reaped", WAIT, () -> !Procs.exists(simplePid));

        // A stop reaches the very process that ran before the re-execs.
        Tools.Result stop = vigil("stop", "counter");
        assertEquals(0, stop.exit(), stop.output());
        Await.until("the unit's process to be gone", WAIT, () -> !Procs.exists(counterPid));
        Await.until("the unit to be inactive", WAIT,
                () -> statusOf("counter").contains("inactive (dead)"));
        assertConsecutive(numbers(log));
        // The adopted main process is reached through the pidfd the new daemon took.
        assertEquals(0, vigil("stop", "wrapped").exit());
        Await.until("the wrapped daemon to be gone", WAIT, () -> !Procs.exists(wrappedPid));
        Await.until("its wrapper to be gone", WAIT, () -> !Procs.exists(wrapperPid));
        Await.until("wrapped to be inactive", WAIT, () -> statusOf("wrapped").contains("inactive (dead)"));

        Tools.Result removed = asNobody("remove", "job");
        assertEquals(0, removed.exit(), removed.output());
        Await.until("the transient job's process to be gone", WAIT, () -> !Procs.exists(jobPid));
        assertEquals(4, vigil("status", "job").exit());
        assertEquals(0, daemon.terminate(WAIT), String.join("\n", daemon.lines()));
    }

    /** The "main PID " that begins the unit's pid record's main line; empty if none. */
    private static String recordedMain(Path record) {
        try {
            for (String line : Files.readAllLines(record)) {
                Matcher m = Pattern.compile("^main \\d+ ").matcher(line);
                if (m.find()) return m.group();
            }
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void aUnitWhoseFileWentAwayIsStoppedByTheNewDaemon() throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("gone.service"), "[Service]\nExecStart=/bin/sleep 1000\n");
        Files.writeString(units.resolve("kept.service"), "[Service]\nExecStart=/bin/sleep 1000\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString(), "--units", units.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long gone = awaitUnit("gone", "active (running)");
        long kept = awaitUnit("kept", "active (running)");
        // The sandbox is private (0700): a root daemon's notify sockets are then in a directory of its own.
        Path goneSocket = (NotifyDirectory.walkable(socket.getParent()) ? socket.getParent().resolve("notify")
                : Path.of("/run/vigil/notify-" + daemon.pid())).resolve("gone.service");
        assertTrue(Files.exists(goneSocket));
        Files.delete(units.resolve("gone.service"));

        reexec();
        daemon.awaitLine("gone.service: its unit file is gone or no longer loads since the re-exec; stopping it",
                WAIT);
        Await.until("the unit's process to be gone", WAIT, () -> !Procs.exists(gone));
        assertEquals(4, vigil("status", "gone").exit());
        assertTrue(!Files.exists(goneSocket), "its notify socket is removed");
        assertEquals(kept, awaitUnit("kept", "active (running)"));
    }

    @Test
    void aUnitWithAControlProcessHoldsTheReexecBackUntilItIsRefused() throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("slow.service"), "[Service]\nExecStartPre=/bin/sleep 1000\n"
                + "ExecStart=/bin/sleep 1000\nTimeoutStartSec=infinity\n");
        Path plain = service(root, "plain", "exec sleep 1000");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString(), "--units", units.toString());
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        long pid = awaitRunning(plain, WAIT);
        awaitUnit("slow", "activating (start-pre)");
        Tools.Result result = vigil("daemon-reexec");
        assertEquals(1, result.exit(), result.output());
        assertTrue(result.output().contains("not re-executed: slow.service: it is start-pre, with control process "
                + "pid") && result.output().contains("(waited 10s)"), result.output());
        assertEquals(pid, ServiceDirs.status(plain).pid());
        assertTrue(!Procs.cmdline(daemon.pid()).contains("--reexec-state"));
        // Once the control process is done, the unit is handed over like any, failed as it is then.
        Matcher control = Pattern.compile("Control:\\s+(\\d+)").matcher(statusOf("slow"));
        assertTrue(control.find(), statusOf("slow"));
        assertEquals(0, Tools.run(sandbox, "kill", "-KILL", control.group(1)).exit());
        awaitUnit("slow", "failed");
        reexec();
        assertTrue(statusOf("slow").contains("Active:    failed"), statusOf("slow"));
        assertEquals(pid, ServiceDirs.status(plain).pid());
    }

    /** Waits for the unit to be in {@code active} ("active (running)") and returns its main pid (0 if none). */
    private long awaitUnit(String unit, String active) {
        return Await.value(unit + " " + active, WAIT, () -> {
            String out = statusOf(unit);
            if (!out.contains("Active:    " + active)) return null;
            Matcher m = Pattern.compile("Main PID:  (\\d+)").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : 0L;
        });
    }

    private long transientPid(String name) {
        Matcher m = Pattern.compile("\\(pid (\\d+)\\)").matcher(statusOf(name));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** What {@code vigil status NAME} prints. */
    private String statusOf(String name) {
        try {
            return vigil("status", name).output();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The vigil client as uid 65534. */
    private Tools.Result asNobody(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "VIGIL_CONTROL=" + socket));
        command.addAll(java(args));
        return Tools.run(sandbox, Map.of(), null, Nobody.command(command.toArray(String[]::new)));
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
