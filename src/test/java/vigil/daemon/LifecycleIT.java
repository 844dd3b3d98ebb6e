package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRestarted;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Signals;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;

/** Real processes under a real daemon: restarts, finish, loggers, orphans, bad service directories. */
class LifecycleIT {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private static void kill(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor());
    }

    @Test
    void finishGetsTheExitCodeAndSignal() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "f", "[ -f second ] && exec sleep 1000; touch second; exit 3");
        script(svc.resolve("finish"), "echo \"$1 $2\" >> finish-args");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = Await.value("the second run", WAIT, () -> {
            var s = vigil.testing.ServiceDirs.status(svc);
            return s != null && s.running() && Files.exists(svc.resolve("second"))
                    && Procs.cmdline(s.pid()).startsWith("sleep") ? s.pid() : null;
        });
        kill("KILL", pid);
        Await.until("finish to record the kill", WAIT, () -> lines(svc.resolve("finish-args")).size() == 2);
        assertEquals(List.of("3 0", "-1 9"), lines(svc.resolve("finish-args")));
        daemon.awaitLine("f: exited 3 after .*; running finish", WAIT);
        daemon.awaitLine("f: finish exited 0; restarting in 1s", WAIT);
    }

    @Test
    void aRunOfOverOneSecondRestartsAtOnceAndAQuickCrashBacksOff() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "s", "exec sleep 1000");
        Path crashy = service(root, "crashy", "exit 1");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = awaitRunning(svc, WAIT);
        // The daemon times the run from before supervise/status showed it: once this much has passed since then,
        // it has run for over a second whichever service the daemon started first, and however long crashy took.
        long seenRunning = System.nanoTime();
        Await.until("the service to have run for over a second", WAIT,
                () -> System.nanoTime() - seenRunning > 1_200_000_000L
                        && daemon.countLines("crashy: exited 1 after .*; restarting in 1s") >= 1
                        && daemon.countLines("crashy: exited 1 after .*; restarting in 2s") >= 1);
        kill("KILL", pid);
        awaitRestarted(svc, pid, WAIT);
        daemon.awaitLine("s: killed by SIGKILL after [0-9.]+s; restarting$", WAIT);
        assertTrue(Files.exists(crashy.resolve("supervise/status")));
    }

    @Test
    void logLinesSurviveRestartsOfTheServiceAndOfTheLogger() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        // Each start writes 300 numbered lines tagged with its pid, then waits to be killed.
        Path svc = service(root, "talker",
                "i=0; while [ $i -lt 300 ]; do echo \"$$ $i\"; i=$((i+1)); done; exec sleep 1000");
        script(svc.resolve("log/run"), "while IFS= read -r line; do echo \"$line\" >> ../lines; done");
        daemon = DaemonProcess.daemon(sandbox, root);
        Path lines = svc.resolve("lines");
        long pid = awaitRunning(svc, WAIT);
        for (int round = 0; round < 4; round++) {
            int expected = 300 * (round + 1);
            Await.until(expected + " lines logged", WAIT, () -> lines(lines).size() >= expected);
            Await.until("sleep to be exec'd", WAIT, () -> Procs.cmdline(
                    vigil.testing.ServiceDirs.status(svc).pid()).startsWith("sleep"));
            long current = vigil.testing.ServiceDirs.status(svc).pid();
            if (round % 2 == 1) kill("KILL", awaitRunning(svc.resolve("log"), WAIT));
            kill("KILL", current);
            pid = awaitRestarted(svc, current, WAIT);
        }
        Await.until("1500 lines logged", WAIT, () -> lines(lines).size() >= 1500);
        assertEquals(0, daemon.terminate(WAIT));
        Map<String, Integer> perProducer = new TreeMap<>();
        for (String line : lines(lines)) perProducer.merge(line.split(" ")[0], 1, Integer::sum);
        assertEquals(5, perProducer.size(), "five runs: " + perProducer);
        perProducer.forEach((producer, count) -> assertEquals(300, count, "lines of run " + producer));
        assertEquals(1500, Files.readAllLines(lines).stream().distinct().count(), "no line twice");
        assertFalse(Procs.running(pid));
    }

    @Test
    void termLetsTheLoggerWriteTheLastLines() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "last",
                "trap 'echo last words; exit 0' TERM; echo first; while :; do sleep 0.05; done");
        script(svc.resolve("finish"), "echo finish ran");
        script(svc.resolve("log/run"),
                "while IFS= read -r line; do echo \"$line\" >> ../lines; done; echo eof >> ../lines");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        Await.until("the first line", WAIT, () -> lines(svc.resolve("lines")).contains("first"));
        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(List.of("first", "last words", "finish ran", "eof"), lines(svc.resolve("lines")));
    }

    @Test
    void orphansOfServicesAreReapedByVigil() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        // The subshell exits at once, orphaning its sleep, which Vigil inherits as subreaper.
        Path svc = service(root, "parent", "(sleep 1 & echo $! > orphan.pid); exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        // The launcher starts the JVM with SIGCHLD blocked in every thread: no handler can ever run, so the
        // orphan below is reaped only if Vigil reads SIGCHLD from its signalfd.
        try (var tasks = Files.list(Path.of("/proc/" + daemon.pid() + "/task"))) {
            for (Path task : tasks.toList()) {
                String mask = Files.readAllLines(task.resolve("status")).stream()
                        .filter(l -> l.startsWith("SigBlk:")).findFirst().orElseThrow().substring(7).strip();
                assertTrue((Long.parseUnsignedLong(mask, 16) & 1L << (Signals.SIGCHLD - 1)) != 0,
                        "thread " + task.getFileName() + " blocks SIGCHLD: " + mask);
            }
        }
        long orphan = Await.value("the orphan's pid", WAIT, () -> {
            List<String> l = lines(svc.resolve("orphan.pid"));
            return l.isEmpty() ? null : Long.parseLong(l.getFirst().strip());
        });
        Await.until("the orphan to be reparented to vigil", WAIT,
                () -> Procs.parent(orphan) == daemon.pid() || !Procs.exists(orphan));
        Await.until("the orphan to exit and be reaped (no zombie left)", WAIT, () -> !Procs.exists(orphan));
        assertTrue(Procs.children(daemon.pid()).stream().noneMatch(Procs::zombie), "no zombie children");
    }

    @Test
    void badServiceDirectoriesAreReportedAndTheOthersRunUntouched() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path good = service(root, "good", "exec sleep 1000");
        Files.createDirectories(root.resolve("norun"));
        Path noexec = service(root, "noexec", "exec sleep 1000");
        noexec.resolve("run").toFile().setExecutable(false, false);
        service(root, "badinterp", "exec sleep 1000");
        Files.writeString(root.resolve("badinterp/run"), "#!/nonexistent/interpreter\n");
        Path badfd = service(root, "badfd", "exec sleep 1000");
        Files.writeString(badfd.resolve("notification-fd"), "banana\n");
        Path badsig = service(root, "badsig", "exec sleep 1000");
        Files.writeString(badsig.resolve("down-signal"), "SIGNOPE\n");

        daemon = DaemonProcess.daemon(sandbox, root);
        long goodPid = awaitRunning(good, WAIT);
        daemon.awaitLine("norun: waiting: .*run", WAIT);
        daemon.awaitLine("noexec: waiting: .*run", WAIT);
        daemon.awaitLine("badinterp: cannot start: exec .*run: No such file or directory", WAIT);
        daemon.awaitLine("badinterp: exited 111 after .*; restarting in 1s", WAIT);
        daemon.awaitLine("badfd: .*notification-fd.*banana", WAIT);
        daemon.awaitLine("badsig: .*down-signal.*SIGNOPE", WAIT);
        assertTrue(Procs.running(goodPid));
        // supervise/status may show it running before its line has reached the test.
        daemon.awaitLine("good: started", WAIT);
        assertEquals(1, daemon.countLines("good: started"), "the good service was never disturbed");
        assertTrue(daemon.alive());

        Files.writeString(badfd.resolve("notification-fd"), "3\n");
        awaitRunning(badfd, WAIT);
    }

    /** The file's whole lines: a line still being appended is left for the next look. */
    private static List<String> lines(Path file) {
        try {
            if (!Files.exists(file)) return List.of();
            String text = Files.readString(file);
            return text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
