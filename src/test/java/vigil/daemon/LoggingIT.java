package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRestarted;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** Vigil's built-in capture of service output, through a real daemon: nothing lost, nothing doubled, no one starved. */
class LoggingIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern ISO_STAMP = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z ");
    private static final int ISO_WIDTH = 28;

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void stdoutAndStderrAreLoggedOnceEachAcrossKillNineRestartsAndDaemonStop() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        // Each run: 300 numbered lines, odd ones on stderr, then a last line without its newline; then it waits.
        Path svc = service(root, "talker", """
                i=0
                while [ $i -lt 300 ]; do
                    if [ $((i % 2)) = 0 ]; then echo "$$ $i"; else echo "$$ $i" >&2; fi
                    i=$((i+1))
                done
                printf '%s partial' $$
                exec sleep 1000""");
        daemon = DaemonProcess.daemon(sandbox, root);
        Path log = DaemonProcess.logDir(sandbox).resolve("talker");
        long pid = awaitRunning(svc, WAIT);
        for (int round = 0; round < 4; round++) {
            long current = pid;
            Await.until("run " + round + "'s 300 lines logged", WAIT,
                    () -> texts(log).stream().filter(l -> l.startsWith(current + " ")).count() == 300
                            && Procs.cmdline(current).startsWith("sleep"));
            kill(current);
            pid = awaitRestarted(svc, current, WAIT);
        }
        long last = pid;
        Await.until("the last run's lines logged", WAIT,
                () -> texts(log).stream().filter(l -> l.startsWith(last + " ")).count() == 300);
        assertEquals(0, daemon.terminate(WAIT));

        List<String> lines = texts(log);
        Map<String, Integer> perRun = new TreeMap<>();
        for (String line : lines) {
            if (!line.endsWith(" partial")) perRun.merge(line.split(" ")[0], 1, Integer::sum);
        }
        assertEquals(5, perRun.size(), "five runs: " + perRun);
        perRun.forEach((run, count) -> assertEquals(300, count, "lines of run " + run));
        assertEquals(lines.size(), lines.stream().distinct().count(), "no line twice");
        for (String run : perRun.keySet()) {
            assertTrue(lines.contains(run + " partial"), "the partial last line of run " + run + ", on its own line");
        }
        assertEquals(1505, lines.size());
        for (String raw : Files.readAllLines(log.resolve("current"))) {
            assertTrue(ISO_STAMP.matcher(raw).lookingAt(), "ISO stamped: " + raw);
        }
        assertEquals(lines, stripStamps(vigilLogs("talker")), "vigil logs reads what the daemon wrote");
    }

    @Test
    void aLoggersOwnOutputIsCapturedAcrossRestartsOfTheServiceAndTheLogger() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "talker",
                "i=0; while [ $i -lt 200 ]; do echo \"$$ $i\"; i=$((i+1)); done; exec sleep 1000");
        // The logger passes each line on, tagged, to its stdout: Vigil's built-in capture.
        script(svc.resolve("log/run"), "while IFS= read -r line; do echo \"logged $line\"; done");
        daemon = DaemonProcess.daemon(sandbox, root);
        Path log = DaemonProcess.logDir(sandbox).resolve("talker.log");
        long pid = awaitRunning(svc, WAIT);
        for (int round = 0; round < 4; round++) {
            int expected = 200 * (round + 1);
            long current = pid;
            Await.until(expected + " lines logged", WAIT, () -> texts(log).size() >= expected
                    && Procs.cmdline(current).startsWith("sleep"));
            if (round % 2 == 1) kill(awaitRunning(svc.resolve("log"), WAIT));
            kill(current);
            pid = awaitRestarted(svc, current, WAIT);
        }
        Await.until("1000 lines logged", WAIT, () -> texts(log).size() >= 1000);
        assertEquals(0, daemon.terminate(WAIT));
        List<String> lines = texts(log);
        Map<String, Integer> perRun = new TreeMap<>();
        for (String line : lines) perRun.merge(line.split(" ")[1], 1, Integer::sum);
        assertEquals(5, perRun.size(), "five runs: " + perRun);
        perRun.forEach((run, count) -> assertEquals(200, count, "lines of run " + run));
        assertEquals(1000, lines.stream().distinct().count(), "no line twice");
        assertFalse(Files.exists(DaemonProcess.logDir(sandbox).resolve("talker")),
                "the producer's stdout went to its logger, not to a log of its own");
    }

    @Test
    void aPartialLastLineIsWrittenWhenTheDaemonStops() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        service(root, "quiet", "echo whole; printf 'half a line'; exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        Path log = DaemonProcess.logDir(sandbox).resolve("quiet");
        Await.until("the whole line", WAIT, () -> texts(log).contains("whole"));
        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(List.of("whole", "half a line"), texts(log));
        assertTrue(Files.readString(log.resolve("current")).endsWith("half a line\n"));
    }

    @Test
    void theConfigsAgeLimitRotatesOnTheLoopsTimerWithoutFurtherOutput() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        service(root, "aged", "echo only line; exec sleep 1000");
        Path log = Files.createDirectories(DaemonProcess.logDir(sandbox).resolve("aged"));
        Files.writeString(log.resolve("config"), "t1\n");
        daemon = DaemonProcess.daemon(sandbox, root);
        // A rotation renames current, then makes a new one, as svlogd's does: wait for both steps.
        Await.until("current rotated by age", WAIT,
                () -> rotatedFiles(log) == 1 && Files.exists(log.resolve("current")));
        assertEquals(List.of("only line"), texts(log));
        assertEquals(0, Files.size(log.resolve("current")));
    }

    @Test
    void vigilsOwnMessagesGoToItsOwnLogAndToStderr() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "brief", "exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        daemon.awaitLine("vigil: brief: started", WAIT);
        assertEquals(0, daemon.terminate(WAIT));
        List<String> own = stripStamps(vigilLogs("vigil"));
        assertTrue(own.stream().anyMatch(l -> l.startsWith("vigil: brief: started")), "own log: " + own);
        assertTrue(own.stream().anyMatch(l -> l.startsWith("vigil: got TERM")), "own log: " + own);
        assertEquals("vigil: all services stopped; exiting", own.getLast());
        daemon.awaitLine("vigil: all services stopped; exiting", WAIT);
    }

    @Test
    void aServiceNamedVigilHasALogOfItsOwnBesideVigils() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "vigil", "echo from the service named vigil; exec sleep 1000");
        daemon = DaemonProcess.daemon(sandbox, root);
        awaitRunning(svc, WAIT);
        Path logs = DaemonProcess.logDir(sandbox);
        Await.until("the service's line logged", WAIT,
                () -> texts(logs.resolve("vigil")).contains("from the service named vigil"));
        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(0, daemon.countLines("holds it|dropped"), String.join("\n", daemon.lines()));
        // Vigil's own log is LOGDIR/.vigil, and still "vigil" to vigil logs; the service's is reached by its path.
        assertTrue(Files.isDirectory(logs.resolve(".vigil")));
        List<String> own = stripStamps(vigilLogs("vigil"));
        assertTrue(own.stream().anyMatch(l -> l.startsWith("vigil: vigil: started")), "own log: " + own);
        assertEquals(List.of("from the service named vigil"), stripStamps(vigilLogs(logs.resolve("vigil").toString())));
    }

    @Test
    void aFloodingServiceNeitherStarvesAnotherNorGrowsTheDaemon() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path logs = DaemonProcess.logDir(sandbox);
        // Each tick carries the time it was written, to compare with the time Vigil stamped it.
        service(root, "ticker", "while :; do echo \"tick $(date +%s%N)\"; sleep 0.05; done");
        Path flood = root.resolve("flood");
        script(flood.resolve("run"), "[ -f go ] || exec sleep 1000; exec yes 0123456789abcdefghijklmnopqrstuvwxyz");
        // Few rotated files, so the flood keeps the disk use small.
        Files.createDirectories(logs.resolve("flood"));
        Files.writeString(logs.resolve("flood/config"), "s1000000\nn2\n");
        daemon = DaemonProcess.daemon(sandbox, root);
        Path tickerLog = logs.resolve("ticker");
        Await.until("ticks logged", WAIT, () -> texts(tickerLog).size() >= 10);
        long rssBefore = rssKiB(daemon.pid());

        Files.writeString(flood.resolve("go"), "");
        kill(awaitRunning(flood, WAIT));
        Await.until("the flood to fill a log file", WAIT, () -> rotatedFiles(logs.resolve("flood")) >= 1);
        int ticksBefore = texts(tickerLog).size();
        Await.until("40 more ticks logged during the flood", WAIT, () -> texts(tickerLog).size() >= ticksBefore + 40);
        assertTrue(Procs.cmdline(ServiceDirs.status(flood).pid()).startsWith("yes"), "still flooding");
        long rssAfter = rssKiB(daemon.pid());

        List<String> raw = Files.readAllLines(tickerLog.resolve("current"));
        List<Long> lateness = new ArrayList<>();
        for (String line : raw.subList(ticksBefore, ticksBefore + 40)) {
            Instant stamped = Instant.parse(line.substring(0, ISO_WIDTH - 1));
            long written = Long.parseLong(line.substring(ISO_WIDTH).split(" ")[1]);
            lateness.add((stamped.getEpochSecond() * 1_000_000_000L + stamped.getNano() - written) / 1_000_000);
        }
        long worst = lateness.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(worst < 1000, "ticks were logged within a second during the flood; lateness in ms: " + lateness);
        assertTrue(rssAfter < rssBefore + 100 * 1024, "RSS went from " + rssBefore + " to " + rssAfter + " KiB");
        assertEquals(0, daemon.terminate(WAIT));
    }

    @Test
    void anOrphanFeedsTheLogAfterItsServiceIsDownAnIdlePipeCostsNoCpuAndTheNextStartLogsAgain() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = root.resolve("parent");
        Files.createDirectories(svc);
        assertEquals(0, new ProcessBuilder("mkfifo", svc.resolve("gate").toString()).start().waitFor());
        // The orphan waits for the test, then writes a line longer than the line limit (4096).
        script(svc.resolve("run"), "(read x < gate; echo from the orphan; head -c 10000 /dev/zero | tr '\\0' y;"
                + " echo) & echo from the service; exit 0");
        script(svc.resolve("finish"), "exit 125");
        // Without cgroups: with them, what a service leaves behind is stopped when it goes down (CgroupIT), and an
        // orphan that outlives its service, which this test is about, is what a host without cgroups sees.
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--no-cgroups", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString());
        Path log = DaemonProcess.logDir(sandbox).resolve("parent");
        Await.until("the service's line", WAIT, () -> texts(log).contains("from the service"));
        ServiceDirs.awaitDown(svc, WAIT);

        // Through timeout(1): opening a FIFO with no reader left (the orphan killed) would block the test for ever.
        assertEquals(0, Tools.run(sandbox, "timeout", "20", "sh", "-c", "echo go > '" + svc.resolve("gate") + "'")
                .exit(), "the orphan reads the gate");
        Await.until("the orphan's lines", WAIT, () -> texts(log).size() == 5);
        List<String> lines = texts(log);
        assertEquals(List.of("from the service", "from the orphan"), lines.subList(0, 2));
        assertEquals("y".repeat(4096), lines.get(2), "a long line is cut at the limit");
        assertTrue(lines.get(3).startsWith("...") && lines.get(4).startsWith("..."), "and continued: " + lines);
        assertEquals("y".repeat(10000), lines.get(2) + lines.get(3).substring(3) + lines.get(4).substring(3));

        // No writer is left: the pipe's read end reports EPOLLHUP for ever, and must not be polled in a loop. A
        // busy loop would burn a core; this measures the daemon's CPU over two seconds of idleness.
        Await.until("the orphan gone", WAIT, () -> Procs.descendants(daemon.pid()).stream()
                .noneMatch(p -> !Procs.zombie(p) && Procs.cmdline(p).startsWith("/bin/sh")));
        long before = cpuTicks(daemon.pid());
        Thread.sleep(2000);
        long used = cpuTicks(daemon.pid()) - before;
        assertTrue(used < 50, "the daemon used " + used + " ticks of CPU in 2 s while idle");

        Files.writeString(svc.resolve("supervise/control"), "u");
        Await.until("the second run's line", WAIT,
                () -> texts(log).stream().filter("from the service"::equals).count() == 2);
    }

    @Test
    void atMostAHundredthOfTheFdLimitInLogDirectoriesIsOpenAndNoLineIsLostClosingThem() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        for (int i = 0; i < 8; i++) {
            service(root, "w" + i, "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo \"line $i\"; sleep 0.02; done;"
                    + " exec sleep 1000");
        }
        // 400 fds: at most 4 log directories open at once, for 8 services writing at the same time.
        daemon = DaemonProcess.start(sandbox, Map.of(), List.of("prlimit", "--nofile=400:400"), "daemon",
                "--log-dir", DaemonProcess.logDir(sandbox).toString(), root.toString());
        Path logs = DaemonProcess.logDir(sandbox);
        int mostOpen = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!allLogged(logs, 8, 60)) {
            assertTrue(System.nanoTime() < deadline, "every line logged in time");
            mostOpen = Math.max(mostOpen, openCurrents(daemon.pid()));
            Thread.sleep(5);
        }
        assertTrue(mostOpen <= 4 + 1, "at most 4 service logs and Vigil's own open; saw " + mostOpen);
        assertTrue(mostOpen >= 3, "the daemon was seen logging: " + mostOpen);
        for (int i = 0; i < 8; i++) {
            List<String> lines = texts(logs.resolve("w" + i));
            for (int n = 1; n <= 60; n++) assertEquals("line " + n, lines.get(n - 1), "w" + i + ": " + lines);
        }
        assertEquals(0, daemon.terminate(WAIT));
    }

    // ---- helpers ----

    private static boolean allLogged(Path logs, int services, int lines) {
        for (int i = 0; i < services; i++) if (texts(logs.resolve("w" + i)).size() < lines) return false;
        return true;
    }

    /** How many files named current the process has open. */
    private static int openCurrents(long pid) throws IOException {
        int n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).getFileName().toString().equals("current")) n++;
                } catch (IOException gone) {
                    // Closed while listed.
                }
            }
        }
        return n;
    }

    /** utime + stime of the process, in clock ticks. */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static void kill(long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor());
    }

    /**
     * The text of every whole line in the log directory, rotated files first, without the ISO stamps. A line the
     * daemon is still writing is left out: a write that spans pages shows up a page at a time.
     */
    private static List<String> texts(Path dir) {
        List<String> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("@")).sorted().toList()) {
                all.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
            }
            Path current = dir.resolve("current");
            if (Files.exists(current)) {
                String text = Files.readString(current, StandardCharsets.UTF_8);
                all.addAll(text.substring(0, text.lastIndexOf('\n') + 1).lines().toList());
            }
        } catch (IOException e) {
            return List.of();
        }
        return stripStamps(all);
    }

    private static List<String> stripStamps(List<String> lines) {
        return lines.stream().map(l -> l.length() >= ISO_WIDTH ? l.substring(ISO_WIDTH) : l).toList();
    }

    private static long rotatedFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("@")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    /** {@code vigil logs --log-dir LOGS NAME}, through the launcher: its output lines. */
    private List<String> vigilLogs(String name) throws Exception {
        Process p = new ProcessBuilder(System.getProperty("vigil.launcher"), "logs", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), name).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "vigil logs exits");
            assertEquals(0, p.exitValue());
            return new String(out, StandardCharsets.UTF_8).lines().toList();
        } finally {
            p.destroyForcibly();
        }
    }
}
