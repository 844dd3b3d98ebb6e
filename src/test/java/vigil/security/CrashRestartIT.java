package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.script;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * kill -9 of the daemon leaves its services running, reparented; a new daemon on the same tree must stop them
 * before it starts its own, so that no service ever runs twice, and must leave alone a process that only has a
 * recorded pid (recycled).
 */
class CrashRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SERVICES = 20;

    @TempDir
    Path sandbox;
    private final List<DaemonProcess> daemons = new ArrayList<>();
    private final List<Process> started = new ArrayList<>();

    /** Every daemon's tree, and the orphans of the one killed (by their cwd in the sandbox), whatever happened. */
    @AfterEach
    void cleanUp() throws Exception {
        for (DaemonProcess daemon : daemons) daemon.close();
        for (Process p : started) p.destroyForcibly().waitFor();
    }

    private DaemonProcess daemon(Path root) throws IOException {
        DaemonProcess daemon = DaemonProcess.daemon(sandbox, root);
        daemons.add(daemon);
        return daemon;
    }

    private DaemonProcess daemon(Path root, Path units) throws IOException {
        DaemonProcess daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), root.toString(), "--units", units.toString());
        daemons.add(daemon);
        return daemon;
    }

    @Test
    void aRestartAfterKillNineStopsWhatTheDeadDaemonLeftAndRunsOneCopyOfEach() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        List<Path> dirs = new ArrayList<>();
        for (int i = 1; i <= SERVICES; i++) {
            Path dir = service(root, String.format("x%02d", i), "echo $$ >> pids\nexec sleep 1000");
            // Two with a logger, which is a leftover too.
            if (i <= 2) script(dir.resolve("log/run"), "exec cat > /dev/null");
            dirs.add(dir);
        }
        List<Path> all = new ArrayList<>(dirs);
        all.add(dirs.get(0).resolve("log"));
        all.add(dirs.get(1).resolve("log"));

        // Two units, each with a working directory of its own to tell its copies by.
        Path units = Files.createDirectories(sandbox.resolve("units"));
        List<Path> unitDirs = new ArrayList<>();
        for (String unit : List.of("u1", "u2")) {
            Path work = Files.createDirectories(sandbox.resolve("unitwork/" + unit));
            Files.writeString(units.resolve(unit + ".service"), "[Service]\nWorkingDirectory=" + work
                    + "\nExecStart=/bin/sleep 1000\n");
            unitDirs.add(work);
        }

        DaemonProcess first = daemon(root, units);
        Map<Path, Long> oldPids = new TreeMap<>();
        for (Path dir : all) oldPids.put(dir, awaitRunning(dir, WAIT));
        for (Path work : unitDirs) {
            long pid = Await.value(work + "'s unit running", WAIT, () -> {
                List<Long> copies = processesIn(work);
                return copies.size() == 1 ? copies.get(0) : null;
            });
            // Written down in the background: the crash must come after, as it would on any real machine.
            Path record = sandbox.resolve("run/units/" + work.getFileName() + ".service");
            Await.until(record + " to name pid " + pid, WAIT, () -> readOrEmpty(record).contains("main " + pid + " "));
            oldPids.put(work, pid);
        }
        first.signal("KILL");
        first.awaitExit(WAIT);
        for (Path dir : all) {
            assertTrue(Procs.running(oldPids.get(dir)), dir + "'s process outlives the killed daemon");
        }

        for (Path work : unitDirs) {
            assertTrue(Procs.running(oldPids.get(work)), work + "'s unit outlives the killed daemon");
        }

        DaemonProcess second = daemon(root, units);
        for (Path work : unitDirs) {
            String unit = work.getFileName() + ".service";
            second.awaitLine("^vigil: " + unit + ": found pid " + oldPids.get(work) + " left by a previous Vigil "
                    + "\\(started [^)]+\\); stopping it before starting anew$", WAIT);
            Await.until(work + "'s old process " + oldPids.get(work) + " to be gone", WAIT,
                    () -> !Procs.running(oldPids.get(work)));
            second.awaitLine("^vigil: " + unit + ": running", WAIT);
            long fresh = Await.value(work + "'s unit running anew", WAIT, () -> {
                List<Long> copies = processesIn(work);
                return copies.size() == 1 && copies.get(0) != oldPids.get(work).longValue() ? copies.get(0) : null;
            });
            assertEquals(List.of(fresh), processesIn(work), unit + ": exactly one copy, the new one");
        }
        for (Path dir : all) {
            ServiceDirs.awaitRestarted(dir, oldPids.get(dir), WAIT);
            Await.until(dir + "'s old process " + oldPids.get(dir) + " to be gone", WAIT,
                    () -> !Procs.running(oldPids.get(dir)));
        }
        second.awaitLine("supervising " + all.size() + " services from .* \\(" + all.size() + " to start once "
                + "what a previous Vigil left of them is gone\\)", WAIT);
        for (Path dir : all) {
            long pid = ServiceDirs.status(dir).pid();
            assertEquals(List.of(pid), processesIn(dir), dir + ": exactly one copy, the new one");
            assertEquals(pid + "\n", Files.readString(dir.resolve("supervise/pid")), dir + ": supervise/pid");
            String name = root.relativize(dir).toString();
            assertEquals(1, second.countLines("^vigil: " + name + ": found pid " + oldPids.get(dir)
                    + " left by a previous Vigil \\(started [^)]+\\); stopping it before starting anew$"),
                    name + ": the log says what was stopped; it said:\n" + String.join("\n", second.lines()));
        }
    }

    @Test
    void aLeftoverThatIgnoresItsStopSignalIsKilledAndOnlyThenIsTheServiceStarted() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        // An ignored signal stays ignored across exec: sleep ignores TERM.
        Path dir = service(root, "stubborn", "trap '' TERM\nexec sleep 1000");
        Files.writeString(dir.resolve("timeout-kill"), "1000\n");
        DaemonProcess first = daemon(root);
        long old = awaitRunning(dir, WAIT);
        first.signal("KILL");
        first.awaitExit(WAIT);

        DaemonProcess second = daemon(root);
        long fresh = ServiceDirs.awaitRestarted(dir, old, WAIT);
        Await.until("the old copy " + old + " to be gone", WAIT, () -> !Procs.running(old));
        assertEquals(List.of(fresh), processesIn(dir));
        List<String> lines = second.lines();
        int killed = indexOf(lines, "stubborn: pid " + old + " left by a previous Vigil did not stop within 1s; "
                + "sending KILL");
        int started = indexOf(lines, "stubborn: started (pid " + fresh + ")");
        assertTrue(killed >= 0 && started > killed, "KILL, then the start; the daemon said:\n"
                + String.join("\n", lines));
    }

    @Test
    void aTransientServiceADeadDaemonLeftIsStoppedAndNotStartedAgain() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path work = Files.createDirectories(sandbox.resolve("jobwork"));
        DaemonProcess first = daemon(root);
        first.awaitLine("supervising 0 services", WAIT);
        Tools.Result add = Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()),
                null, List.of(System.getProperty("vigil.launcher"), "add", "job", "--cwd", work.toString(), "--",
                        "sleep", "1000"));
        assertEquals(0, add.exit(), add.output());
        long old = awaitRunning(sandbox.resolve("run/transient/job"), WAIT);
        first.signal("KILL");
        first.awaitExit(WAIT);
        assertTrue(Procs.running(old), "the transient service outlives the killed daemon");

        DaemonProcess second = daemon(root);
        second.awaitLine("job: found pid " + old + " left by a previous Vigil \\(started [^)]+\\); stopping it "
                + "\\(a transient service is not started again by a new Vigil\\)", WAIT);
        Await.until("the old copy " + old + " to be gone", WAIT, () -> !Procs.running(old));
        assertEquals(List.of(), processesIn(work));
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(part)) return i;
        return -1;
    }

    @Test
    void aRecordedPidThatAnotherProcessHasNowIsLeftAlone() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path dir = service(root, "web", "exec sleep 1000");
        Process unrelated = startUnrelated();
        // Recorded as started an hour before the process that has its pid now: the pid was recycled.
        recordRunning(dir, unrelated.pid(), Instant.now().minus(Duration.ofHours(1)));

        DaemonProcess daemon = daemon(root);
        daemon.awaitLine("web: pid " + unrelated.pid() + ", recorded by a previous Vigil \\(started [^)]+\\), is "
                + "another process now \\(started [^)]+\\); left alone", WAIT);
        ServiceDirs.awaitRestarted(dir, unrelated.pid(), WAIT);
        assertTrue(unrelated.isAlive(), "the process that has the recorded pid now is left alone");
        assertEquals(0, daemon.countLines("found pid"));
    }

    @Test
    void aStatusFileSomeoneElseOwnsIsNotBelieved() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path dir = service(root, "web", "exec sleep 1000");
        Process victim = startUnrelated();
        // A perfect forgery, pid and start time, in a file another user could have written: not believed.
        recordRunning(dir, victim.pid(), startTime(victim.pid()));
        Files.setAttribute(dir.resolve("supervise/status"), "unix:uid", 65534);

        DaemonProcess daemon = daemon(root);
        daemon.awaitLine("web: .*supervise/status is not a regular file owned by uid 0", WAIT);
        ServiceDirs.awaitRestarted(dir, victim.pid(), WAIT);
        assertTrue(victim.isAlive(), "the process the forged status names is left alone");
    }

    /** A process of the test's own, with its cwd in the sandbox so that clean-up finds it whatever happens. */
    private Process startUnrelated() throws IOException {
        Path cwd = Files.createDirectories(sandbox.resolve("unrelated"));
        Process p = new ProcessBuilder("sleep", "1000").directory(cwd.toFile()).start();
        started.add(p);
        return p;
    }

    /** What a previous Vigil would have left: a held-free lock, and runit's status of a running pid. */
    private static void recordRunning(Path dir, long pid, Instant started) throws IOException {
        Path supervise = Files.createDirectories(dir.resolve("supervise"));
        Files.write(supervise.resolve("lock"), new byte[0]);
        ByteBuffer status = ByteBuffer.allocate(20);
        status.putLong(0x400000000000000AL + started.getEpochSecond()).putInt(started.getNano());
        status.order(ByteOrder.LITTLE_ENDIAN).putInt((int) pid);
        status.put((byte) 0).put((byte) 'u').put((byte) 0).put((byte) 1);
        Files.write(supervise.resolve("status"), status.array());
        Files.writeString(supervise.resolve("pid"), pid + "\n");
    }

    /** When the process started, by the wall clock: its start in ticks after boot, and when the machine booted. */
    private static Instant startTime(long pid) throws IOException {
        String uptime = Files.readString(Path.of("/proc/uptime"));
        double sinceBoot = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
        Instant boot = Instant.now().minusMillis(Math.round(sinceBoot * 1000));
        return boot.plusMillis(Procs.startTime(pid) * 10);
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** Running processes whose working directory is exactly {@code dir}: the copies of that service. */
    private static List<Long> processesIn(Path dir) {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            Path real = dir.toRealPath();
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                try {
                    if (Files.readSymbolicLink(entry.resolve("cwd")).equals(real)
                            && Procs.running(Long.parseLong(name))) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // Exited while we looked.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
