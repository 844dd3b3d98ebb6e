package vigil.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * Resource limits on real processes, as root, in this host's cgroups (v1 controllers on a hybrid host, v2 where
 * the v2 tree offers them): an OOM kill under MemoryMax=, a fork loop held by TasksMax= while the daemon answers,
 * and status showing the memory. Every cgroup the daemon made is gone when it has exited.
 */
class ResourceLimitsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    /** Unique per run: the host's cgroups are shared with whatever else runs tests at the same time. */
    private final String suffix = Long.toString(System.nanoTime(), 36);
    private final List<Path> cgroups = new ArrayList<>();

    @BeforeEach
    void needRootAndMemoryAndPids() throws IOException {
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "needs root");
        CgroupMounts mounts = CgroupMounts.current();
        assumeTrue(mounts.directoryFor("memory").isPresent() && mounts.directoryFor("pids").isPresent(),
                "needs the memory and pids controllers");
    }

    @AfterEach
    void stopDaemonAndCheckCgroups() throws Exception {
        if (daemon != null) daemon.close();
        var left = new ArrayList<Path>();
        for (Path dir : cgroups) {
            if (!Files.exists(dir)) continue;
            left.add(dir);
            // The test leaves nothing either way: what a failed run left in the cgroup is killed, then it goes.
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
            Await.until(dir + " empty", WAIT, () -> {
                try {
                    return Files.readString(dir.resolve("cgroup.procs")).isBlank();
                } catch (IOException e) {
                    return true;
                }
            });
            Files.deleteIfExists(dir);
        }
        assertEquals(List.of(), left, "cgroups left behind by the daemon");
    }

    /**
     * The service's directory in {@code controller}'s hierarchy. Its directories in every hierarchy (cpuacct's
     * too) are remembered for the check after the daemon.
     */
    private Path cgroupOf(String controller, String unit) throws IOException {
        CgroupMounts mounts = CgroupMounts.current();
        String relative = SlicePath.service(unit, java.util.Optional.empty());
        for (Path base : mounts.v1().values()) {
            if (!cgroups.contains(base.resolve(relative))) cgroups.add(base.resolve(relative));
        }
        return mounts.directoryFor(controller).orElseThrow().resolve(relative);
    }

    private Path units(String name, String service) throws IOException {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(dir.resolve(name), "[Service]\nWorkingDirectory=" + sandbox + "\n" + service);
        return dir;
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }

    @Test
    void twoHundredMegabytesUnderMemoryMax50MEndsInOomKill() throws Exception {
        String unit = "hog-" + suffix + ".service";
        Path units = units(unit, """
                ExecStart=/usr/bin/python3 -c 'b = bytearray(200 * 1024 * 1024); import time; time.sleep(600)'
                MemoryMax=50M
                MemorySwapMax=0
                """);
        Path memory = cgroupOf("memory", unit);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine(Pattern.quote(unit) + ": failed with result 'oom-kill'", WAIT);
        daemon.awaitLine(Pattern.quote(unit) + ": a process of the unit was killed by the OOM killer", WAIT);
        String status = vigil("status", unit).output();
        assertTrue(status.contains("(Result: oom-kill)"), status);
        // The unit is down: its cgroup went with it.
        Await.until(memory + " removed", WAIT, () -> !Files.exists(memory));
    }

    @Test
    void anOomKillOfAChildWhileTheMainProcessRunsStopsTheUnitWithOomPolicyStop() throws Exception {
        String unit = "kid-" + suffix + ".service";
        // The main process stays small and runs on; only its child goes past the limit.
        Files.writeString(sandbox.resolve("child-hog.sh"), """
                /usr/bin/python3 -c 'b = bytearray(200 * 1024 * 1024)'
                echo "child ended: $?"
                exec sleep 600
                """);
        Path units = units(unit, """
                ExecStart=/bin/sh child-hog.sh
                MemoryMax=50M
                MemorySwapMax=0
                OOMPolicy=stop
                """);
        Path memory = cgroupOf("memory", unit);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine(Pattern.quote(unit) + ": a process of the unit was killed by the OOM killer", WAIT);
        daemon.awaitLine(Pattern.quote(unit) + ": failed with result 'oom-kill'", WAIT);
        String status = vigil("status", unit).output();
        assertTrue(status.contains("(Result: oom-kill)"), status);
        Await.until(memory + " removed", WAIT, () -> !Files.exists(memory));
    }

    @Test
    void aServiceDirectoryTakesItsLimitsFromItsResourcesFile() throws Exception {
        String name = "dir-" + suffix;
        Path root = Files.createDirectories(sandbox.resolve("services"));
        Path dir = vigil.testing.ServiceDirs.service(root, name, "exec sleep 600");
        Files.writeString(dir.resolve("resources"), "# as in a unit file\nMemoryMax=50M\nTasksMax=7\n");
        Path memory = cgroupOf("memory", name + ".service");
        Path pids = cgroupOf("pids", name + ".service");
        daemon = DaemonProcess.daemon(sandbox, root);
        long pid = vigil.testing.ServiceDirs.awaitRunning(dir, WAIT);
        assertEquals("52428800", Files.readString(memory.resolve("memory.limit_in_bytes")).strip());
        assertEquals("7", Files.readString(pids.resolve("pids.max")).strip());
        assertTrue(Files.readAllLines(pids.resolve("cgroup.procs")).contains(Long.toString(pid)));
        // Status shows what it uses, as for a unit: in the text and in --json.
        String status = vigil("status", name).output();
        assertTrue(Pattern.compile("Memory:\\s+[0-9.]+[BKMG] \\(max: 50\\.0M\\)").matcher(status).find(), status);
        assertTrue(status.contains("Tasks:") && status.contains("(limit: 7)"), status);
        String json = vigil("status", "--json", name).output();
        assertTrue(json.contains("\"memory_bytes\"") && json.contains("\"tasks_max\":7"), json);
        assertEquals(0, vigil("stop", name).exit());
        vigil.testing.ServiceDirs.awaitDown(dir, WAIT);
        Await.until(memory + " removed", WAIT, () -> !Files.exists(memory) && !Files.exists(pids));
    }

    @Test
    void aForkLoopIsHeldByTasksMaxWhileTheDaemonAnswers() throws Exception {
        String unit = "forks-" + suffix + ".service";
        // Forks as fast as it can, a failed fork tried again at once; it stops at 64 children, well above the
        // limit, so that a run without the limit (the test failing) cannot flood the machine.
        Files.writeString(sandbox.resolve("forkloop.py"), """
                import os, time
                children = 0
                while True:
                    if children >= 64:
                        time.sleep(1)
                        continue
                    try:
                        if os.fork() == 0:
                            time.sleep(600)
                            os._exit(0)
                        children += 1
                    except OSError:
                        pass
                """);
        Path units = units(unit, """
                ExecStart=/usr/bin/python3 forkloop.py
                TasksMax=12
                MemoryMax=200M
                """);
        Path pids = cgroupOf("pids", unit);
        cgroupOf("memory", unit);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine(Pattern.quote(unit) + ": started", WAIT);
        Await.until("the fork loop reaches its limit", WAIT, () -> {
            try {
                return Files.readString(pids.resolve("pids.current")).strip().equals("12");
            } catch (IOException e) {
                return false;
            }
        });
        // The daemon answers while the loop presses on its limit.
        long before = System.nanoTime();
        String status = vigil("status", unit).output();
        Duration answered = Duration.ofNanos(System.nanoTime() - before);
        assertTrue(answered.compareTo(Duration.ofSeconds(10)) < 0, "status took " + answered);
        assertTrue(status.contains("Tasks:") && status.contains("(limit: 12)"), status);
        Matcher memory = Pattern.compile("Memory:\\s+([0-9.]+[BKMG]) \\(max: 200\\.0M\\)").matcher(status);
        assertTrue(memory.find(), status);
        assertTrue(Pattern.compile("CPU:\\s+[0-9.]+m?s").matcher(status).find(), status);
        assertEquals(12, Long.parseLong(Files.readString(pids.resolve("pids.max")).strip()));
        assertEquals(0, vigil("stop", unit).exit());
        Await.until(pids + " removed", WAIT, () -> !Files.exists(pids));
        assertFalse(daemon.lines().stream().anyMatch(l -> l.contains("internal error")), daemon.lines().toString());
    }
}
