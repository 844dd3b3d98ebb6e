package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;

/**
 * The files the daemon's built-in logger writes: rotation as the {@code config} says, reading and following
 * through rotations (asked of the daemon: where the log is, and to rotate it), a full disk, and svlogd's layout.
 */
class LogFilesIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern ROTATED = Pattern.compile("@[0-9a-f]{24}\\.s");
    private static final int ISO_WIDTH = 28;

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    private final List<Process> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : clients) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (daemon != null) daemon.close();
    }

    @Test
    void theConfigsSizeAndCountLimitsRotateIntoSvlogdNamesAndKeepEveryLineOnce() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        service(root, "counter", "seq 1 3000; exec sleep 1000");
        Path log = Files.createDirectories(DaemonProcess.logDir(sandbox).resolve("counter"));
        Files.writeString(log.resolve("config"), "s2000\nn3\n");
        daemon = DaemonProcess.daemon(sandbox, root);
        Await.until("line 3000 logged", WAIT, () -> texts(log).contains("3000"));

        List<String> rotated = rotated(log);
        assertEquals(3, rotated.size(), "n3 keeps three rotated files: " + rotated);
        for (String name : rotated) {
            assertTrue(ROTATED.matcher(name).matches(), "svlogd's name for a complete file: " + name);
            assertTrue(Files.size(log.resolve(name)) <= 2000, name + " is at most s2000 bytes");
            assertTrue(Files.isExecutable(log.resolve(name)), name + " is marked complete (u+x)");
        }
        assertTrue(Files.size(log.resolve("current")) <= 2000);
        // What is left is the newest lines, in order, each once: the oldest files went whole.
        List<String> lines = texts(log);
        int first = Integer.parseInt(lines.getFirst());
        for (int i = 0; i < lines.size(); i++) assertEquals(Integer.toString(first + i), lines.get(i));
        assertEquals("3000", lines.getLast());
        assertTrue(first > 1, "older files were deleted");
    }

    @Test
    void vigilLogsFindsTheLogThroughTheDaemonAndFollowsItAcrossRotations() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = service(root, "ticker", "i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.02; done");
        // A per-service log directory: vigil logs must ask the daemon where it is.
        Path elsewhere = sandbox.resolve("elsewhere/ticker");
        Files.writeString(svc.resolve("log-dir"), "../../elsewhere/ticker\n");
        Files.createDirectories(elsewhere);
        // n0 keeps every rotated file: the test counts them, and with a cap the count would stop growing.
        Files.writeString(elsewhere.resolve("config"), "s600\nn0\n");
        daemon = DaemonProcess.daemon(sandbox, root);
        Await.until("ticks logged", WAIT, () -> texts(elsewhere).size() >= 5);

        Path followed = sandbox.resolve("followed");
        Process follower = vigil(followed, "logs", "-f", "ticker");
        clients.add(follower);
        Await.until("the follower printing", WAIT, () -> lines(followed).size() >= 5);
        int sizeRotations = rotated(elsewhere).size();
        for (int i = 0; i < 3; i++) {
            int before = rotated(elsewhere).size();
            Process rotate = vigil(null, "logs", "--rotate", "ticker");
            assertTrue(rotate.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, rotate.exitValue(), new String(rotate.getErrorStream().readAllBytes()));
            assertTrue(rotated(elsewhere).size() > before, "--rotate made a rotated file");
        }
        Await.until("rotations by size too", WAIT, () -> rotated(elsewhere).size() >= sizeRotations + 6);
        int last = Integer.parseInt(texts(elsewhere).getLast().split(" ")[1]);
        Await.until("the follower reaching tick " + last, WAIT,
                () -> lines(followed).stream().anyMatch(l -> l.endsWith(" tick " + last)));
        follower.destroy();

        List<String> seen = lines(followed).stream().map(l -> l.substring(ISO_WIDTH)).toList();
        int first = Integer.parseInt(seen.getFirst().split(" ")[1]);
        for (int i = 0; i < seen.size(); i++) {
            assertEquals("tick " + (first + i), seen.get(i), "followed in order, each once, through rotations");
        }
        assertTrue(first + seen.size() - 1 >= last);
        assertTrue(Files.notExists(DaemonProcess.logDir(sandbox).resolve("ticker")), "log-dir was obeyed");
    }

    @Test
    void aFullDiskDropsTheOldestRotatedFilesDownToTheMinimumKeepsTheNewestAndStallsNoOne() throws Exception {
        assumeTrue(run("unshare", "--mount", "true") == 0, "cannot make a mount namespace here");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path disk = Files.createDirectories(sandbox.resolve("small"));
        // The flood logs on a 256 KiB tmpfs (mounted in the daemon's own mount namespace), the ticker on the
        // ordinary disk.
        Path flood = root.resolve("flood");
        script(flood.resolve("run"), "[ -f go ] || exec sleep 1000; seq 1 150000; exec sleep 1000");
        Files.writeString(flood.resolve("log-dir"), disk.resolve("flood") + "\n");
        service(root, "ticker", "i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.05; done");
        daemon = DaemonProcess.start(sandbox, Map.of(), List.of("unshare", "--mount", "--propagation", "private",
                        "sh", "-c", "mount -t tmpfs -o size=256k vigil-test \"$0\" && exec \"$@\"", disk.toString()),
                "daemon", "--log-dir", DaemonProcess.logDir(sandbox).toString(), root.toString());
        // The daemon's view of the tmpfs: through its root in /proc.
        Path floodLog = Path.of("/proc/" + daemon.pid() + "/root").resolve(disk.toString().substring(1))
                .resolve("flood");
        Path tickerLog = DaemonProcess.logDir(sandbox).resolve("ticker");
        Await.until("ticks logged", WAIT, () -> texts(tickerLog).size() >= 5);
        Files.createDirectories(floodLog);
        Files.writeString(floodLog.resolve("config"), "s40000\nn0\nN2\n");
        Files.writeString(flood.resolve("go"), "");
        run("kill", "-KILL", Long.toString(awaitRunning(flood, WAIT)));

        Await.until("the flood's last line logged", WAIT, () -> texts(floodLog).contains("150000"));
        int ticksThen = texts(tickerLog).size();
        Await.until("the ticker still logged", WAIT, () -> texts(tickerLog).size() >= ticksThen + 10);
        daemon.awaitLine("flood: log: disk full, removed @", WAIT);
        assertEquals(1, daemon.countLines("flood: log: disk full, removed @"), "said once: "
                + String.join("\n", daemon.lines()));
        List<String> kept = texts(floodLog);
        assertTrue(rotated(floodLog).size() >= 2, "N2 keeps two rotated files: " + rotated(floodLog));
        assertTrue(kept.size() < 150000, "the disk could not hold them all");
        for (int i = 1; i < kept.size(); i++) {
            assertTrue(Integer.parseInt(kept.get(i - 1)) < Integer.parseInt(kept.get(i)), "in order, each once");
        }
        assertEquals(0, daemon.terminate(WAIT));
    }

    @Test
    void svlogdAndTheDaemonWriteTheSameLinesInTheSameKindOfFilesAndTai64nlocalReadsTheStamps() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/svlogd")), "svlogd (runit) is not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tai64nlocal")), "tai64nlocal (daemontools) is not installed");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        String output = "i=0; while [ $i -lt 400 ]; do echo \"line $i: $((i * i * i))\"; i=$((i+1)); done;"
                + " exec sleep 1000";
        service(root, "builtin", output);
        Path viaSvlogd = service(root, "classic", output);
        Path svlogdDir = Files.createDirectories(viaSvlogd.resolve("log/main"));
        Files.writeString(svlogdDir.resolve("config"), "s4000\nn100\n");
        script(viaSvlogd.resolve("log/run"), "exec svlogd -t ./main");
        Path builtinLog = Files.createDirectories(DaemonProcess.logDir(sandbox).resolve("builtin"));
        Files.writeString(builtinLog.resolve("config"), "s4000\nn100\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--log-timestamps", "tai64n", root.toString());
        Await.until("both logged all 400 lines", WAIT, () -> rawLines(builtinLog).size() == 400
                && rawLines(svlogdDir).size() == 400);

        List<String> builtin = rawLines(builtinLog), classic = rawLines(svlogdDir);
        Pattern stamped = Pattern.compile("@[0-9a-f]{24} .*");
        for (String line : builtin) assertTrue(stamped.matcher(line).matches(), "TAI64N as svlogd -t: " + line);
        assertEquals(classic.stream().map(l -> l.substring(26)).toList(),
                builtin.stream().map(l -> l.substring(26)).toList(), "the same lines");
        assertTrue(rotated(builtinLog).size() >= 3 && rotated(svlogdDir).size() >= 3);
        for (String name : rotated(builtinLog)) assertTrue(ROTATED.matcher(name).matches(), name);
        for (String name : rotated(svlogdDir)) assertTrue(ROTATED.matcher(name).matches(), name);

        Process local = new ProcessBuilder("tai64nlocal").redirectInput(builtinLog.resolve("current").toFile())
                .start();
        List<String> readable = new String(local.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines().toList();
        assertTrue(local.waitFor(30, TimeUnit.SECONDS));
        List<String> current = Files.readAllLines(builtinLog.resolve("current"));
        assertEquals(current.size(), readable.size());
        Pattern localTime = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9} line .*");
        for (int i = 0; i < readable.size(); i++) {
            assertTrue(localTime.matcher(readable.get(i)).matches(), "tai64nlocal read " + readable.get(i));
            assertEquals(current.get(i).substring(26), readable.get(i).substring(30));
        }
    }

    // ---- helpers ----

    /** {@code vigil ARGS} through the launcher, asking the test's daemon; stdout to {@code out} if given. */
    private Process vigil(Path out, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(System.getProperty("vigil.launcher")));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("VIGIL_CONTROL", sandbox.resolve("run/control").toString());
        builder.environment().remove("VIGIL_LOG_DIR");
        if (out != null) builder.redirectOutput(out.toFile());
        Process p = builder.start();
        clients.add(p);
        return p;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        return p.exitValue();
    }

    /**
     * The file's whole lines. A line still being written is left for the next look: svlogd flushes its buffer
     * part way through a line, and a write that spans pages shows up a page at a time.
     */
    private static List<String> lines(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> rotated(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("@")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Every line of the log directory as written, rotated files first. */
    private static List<String> rawLines(Path dir) {
        List<String> all = new ArrayList<>();
        for (String name : rotated(dir)) all.addAll(lines(dir.resolve(name)));
        all.addAll(lines(dir.resolve("current")));
        return all;
    }

    /** The text of every line, without the ISO stamps. */
    private static List<String> texts(Path dir) {
        return rawLines(dir).stream().map(l -> l.length() >= ISO_WIDTH ? l.substring(ISO_WIDTH) : l).toList();
    }
}
