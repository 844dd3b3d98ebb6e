package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.ServiceDirs;
import vigil.testing.TestCgroup;
import vigil.testing.Tools;

/**
 * A cgroup per service, with real processes: what a service double-forks or setsid()s is still stopped, a stop
 * of a service that ignores TERM ends, a second TERM ends the daemon, and status shows a unit's processes. Each
 * daemon runs in a cgroup of the test's own ({@link TestCgroup}).
 */
class CgroupIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private TestCgroup cgroup;
    private DaemonProcess daemon;

    @BeforeEach
    void makeCgroup() throws Exception {
        cgroup = TestCgroup.create("cgroup-it");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) daemon.close();
        cgroup.close();
    }

    private Path units(String... nameAndBody) throws Exception {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        for (int i = 0; i < nameAndBody.length; i += 2) {
            Files.writeString(dir.resolve(nameAndBody[i]), "[Service]\nWorkingDirectory=" + sandbox + "\n"
                    + nameAndBody[i + 1]);
        }
        return dir;
    }

    private void startDaemon(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("daemon", "--log-dir", DaemonProcess.logDir(sandbox).toString()));
        all.addAll(List.of(args));
        daemon = DaemonProcess.start(sandbox, Map.of(), cgroup.wrapper(), all.toArray(String[]::new));
        Await.until("the control socket", WAIT, () -> Files.exists(sandbox.resolve("run/control")));
    }

    private Tools.Result vigil(String... args) throws Exception {
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null,
                Tools.command(System.getProperty("vigil.launcher"), args));
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private void awaitGone(List<Long> pids) {
        Await.until("pids " + pids + " to be gone; daemon said:\n" + String.join("\n", daemon.lines()), WAIT,
                () -> pids.stream().noneMatch(CgroupIT::alive));
    }

    /** A daemon that double-forks and leaves its session: only its cgroup still knows it is the unit's. */
    private static final String DOUBLE_FORK = """
            Type=forking
            ExecStart=/bin/sh -c 'setsid sh -c "sleep 1101 & sleep 1102" </dev/null >/dev/null 2>&1 & exit 0'
            """;

    @Test
    void aDoubleForkingSetsidDaemonIsGoneAfterStop() throws Exception {
        startDaemon("--units", units("df.service", DOUBLE_FORK).toString());
        assertEquals(0, vigil("start", "df").exit());
        Path group = cgroup.service("df.service");
        List<Long> pids = Await.value("three processes in the cgroup", WAIT,
                () -> TestCgroup.pids(group).size() == 3 ? TestCgroup.pids(group) : null);
        Tools.Result stop = vigil("stop", "df");
        assertEquals(0, stop.exit(), stop.output());
        awaitGone(pids);
        assertEquals(List.of(), TestCgroup.pids(group));
        // The setsid()'d shell was an orphan, reaped by Vigil as subreaper: the log says whose it was.
        daemon.awaitLine("df\\.service: reaped orphan pid \\d+ of its cgroup", WAIT);
    }

    @Test
    void nothingIsLeftAfterTheMainProcessIsKilled() throws Exception {
        startDaemon("--units", units("simple.service", """
                ExecStart=/bin/sh -c 'setsid sleep 1103 </dev/null >/dev/null 2>&1 & exec sleep 1104'
                """).toString());
        assertEquals(0, vigil("start", "simple").exit());
        Path group = cgroup.service("simple.service");
        List<Long> pids = Await.value("two processes in the cgroup", WAIT,
                () -> TestCgroup.pids(group).size() == 2 ? TestCgroup.pids(group) : null);
        long main = pids.stream().filter(p -> ProcessHandle.of(p).flatMap(h -> h.info().arguments())
                .map(a -> List.of(a).contains("1104")).orElse(false)).findFirst().orElseThrow();
        assertEquals(0, Tools.run(sandbox, "kill", "-9", Long.toString(main)).exit());
        awaitGone(pids);
        daemon.awaitLine("simple.service: failed with result 'signal'", WAIT);
    }

    @Test
    void aServiceThatIgnoresTermIsStoppedWithinItsTimeout() throws Exception {
        startDaemon("--units", units("stubborn.service", """
                ExecStart=/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'
                TimeoutStopSec=2
                """).toString());
        assertEquals(0, vigil("start", "stubborn").exit());
        List<Long> pids = TestCgroup.pids(cgroup.service("stubborn.service"));
        assertFalse(pids.isEmpty());
        long began = System.nanoTime();
        Tools.Result stop = vigil("stop", "stubborn");
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        assertEquals(0, stop.exit(), stop.output() + "\n" + String.join("\n", daemon.lines()));
        assertTrue(took.compareTo(Duration.ofSeconds(2 + 5)) < 0, "took " + took);
        assertTrue(took.compareTo(Duration.ofSeconds(2)) >= 0, "the stop waited its timeout: took " + took);
        awaitGone(pids);
    }

    @Test
    void aSecondStopWithForceKillsATermIgnoringUnitAtOnce() throws Exception {
        startDaemon("--units", units("stubborn.service", """
                ExecStart=/bin/sh -c 'trap "" TERM; setsid sleep 1109 & while :; do sleep 0.2; done'
                TimeoutStopSec=600
                """).toString());
        assertEquals(0, vigil("start", "stubborn").exit());
        // The ignored TERM is inherited: the setsid()'d sleep ignores it too.
        List<Long> pids = Await.value("the shell and its setsid()'d sleep", WAIT, () -> {
            List<Long> now = TestCgroup.pids(cgroup.service("stubborn.service"));
            return now.size() >= 2 ? now : null;
        });
        assertEquals(0, vigil("stop", "--no-wait", "stubborn").exit());
        daemon.awaitLine("stubborn\\.service: sent SIGTERM", WAIT);
        long began = System.nanoTime();
        Tools.Result forced = vigil("stop", "--force", "stubborn");
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        assertEquals(0, forced.exit(), forced.output() + "\n" + String.join("\n", daemon.lines()));
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "the forced stop took " + took);
        awaitGone(pids);
        assertEquals(List.of(), TestCgroup.pids(cgroup.service("stubborn.service")));
    }

    @Test
    void aForcedStopEndsTheRemovalOfADirectoryThatIgnoresTerm() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path dir = ServiceDirs.service(root, "stuck", "trap '' TERM\nwhile :; do sleep 0.2; done");
        Files.writeString(dir.resolve("timeout-kill"), "600000\n");
        startDaemon(root.toString());
        ServiceDirs.awaitRunning(dir, WAIT);
        List<Long> pids = TestCgroup.pids(cgroup.service("stuck.service"));
        Files.move(dir, sandbox.resolve("stuck-gone"));
        daemon.awaitLine("stuck: .*stopping", WAIT);
        Tools.Result forced = vigil("stop", "--force", "stuck");
        assertEquals(0, forced.exit(), forced.output() + "\n" + String.join("\n", daemon.lines()));
        awaitGone(pids);
    }

    @Test
    void aSecondTermEndsTheDaemonEvenWithAStuckService() throws Exception {
        startDaemon("--units", units("stuck.service", """
                ExecStart=/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'
                TimeoutStopSec=infinity
                """).toString());
        assertEquals(0, vigil("start", "stuck").exit());
        List<Long> pids = TestCgroup.pids(cgroup.service("stuck.service"));
        daemon.signal("TERM");
        daemon.awaitLine("stuck.service: sent SIGTERM", WAIT);
        daemon.signal("TERM");
        daemon.awaitExit(WAIT);
        awaitGone(pids);
    }

    @Test
    void statusListsTheProcessesOfAUnit() throws Exception {
        startDaemon("--units", units("df.service", DOUBLE_FORK).toString());
        assertEquals(0, vigil("start", "df").exit());
        List<Long> pids = Await.value("three processes in the cgroup", WAIT, () -> {
            List<Long> now = TestCgroup.pids(cgroup.service("df.service"));
            return now.size() == 3 ? now : null;
        });
        Tools.Result status = vigil("status", "df");
        assertTrue(status.output().contains("CGroup:") && status.output().contains("/vigil.slice/df.service"),
                status.output());
        for (long pid : pids) assertTrue(status.output().contains("└─" + pid + " "), status.output());
        assertTrue(status.output().contains("sleep 1101") && status.output().contains("sleep 1102"), status.output());
        assertTrue(status.output().contains("3 tasks"), status.output());
        Tools.Result json = vigil("status", "--json", "df");
        assertTrue(json.output().contains("\"cgroup\"") && json.output().contains("\"cpu_usec\""), json.output());
    }

    @Test
    void aServiceStuckInItsStopCanBeKilledWhileItIsBeingRemoved() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path dir = ServiceDirs.service(root, "stuck", "trap '' TERM\nwhile :; do sleep 0.2; done");
        Files.writeString(dir.resolve("timeout-kill"), "600000\n");
        startDaemon(root.toString());
        ServiceDirs.awaitRunning(dir, WAIT);
        List<Long> pids = TestCgroup.pids(cgroup.service("stuck.service"));
        Files.move(dir, sandbox.resolve("stuck-gone"));
        daemon.awaitLine("stuck: .*stopping", WAIT);
        Tools.Result kill = vigil("kill", "stuck");
        assertEquals(0, kill.exit(), kill.output() + "\n" + String.join("\n", daemon.lines()));
        awaitGone(pids);
    }

    @Test
    void aServiceDirectoryLeavesNoSetsidGrandchildAfterSvDown() throws Exception {
        Path sv = Tools.require("sv", "runit");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path dir = ServiceDirs.service(root, "web", "setsid sleep 1105 </dev/null >/dev/null 2>&1 &\nexec sleep 1106");
        startDaemon(root.toString());
        ServiceDirs.awaitRunning(dir, WAIT);
        List<Long> pids = Await.value("run and its grandchild in the cgroup", WAIT, () -> {
            List<Long> now = TestCgroup.pids(cgroup.service("web.service"));
            return now.size() == 2 ? now : null;
        });
        assertEquals(0, Tools.run(sandbox, sv.toString(), "down", dir.toString()).exit());
        awaitGone(pids);
    }

    @Test
    void aSecondDaemonInTheSameCgroupTakesASliceOfItsOwnAndStopsNothingOfTheFirsts() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path first = ServiceDirs.service(root, "same", "exec sleep 1107");
        startDaemon(root.toString());
        long firstPid = ServiceDirs.awaitRunning(first, WAIT);

        Path other = Files.createDirectories(sandbox.resolve("second"));
        Path otherRoot = Files.createDirectories(other.resolve("sv"));
        Path second = ServiceDirs.service(otherRoot, "same", "exec sleep 1108");
        try (DaemonProcess two = DaemonProcess.start(other, Map.of(), cgroup.wrapper(), "daemon", "--log-dir",
                DaemonProcess.logDir(other).toString(), otherRoot.toString())) {
            two.awaitLine("another Vigil daemon owns .*vigil\\.slice: this one's services go in .*vigil-"
                    + two.pid() + "\\.slice", WAIT);
            long secondPid = ServiceDirs.awaitRunning(second, WAIT);
            assertEquals(List.of(secondPid), TestCgroup.pids(cgroup.service("same.service").getParent()
                    .resolveSibling("vigil-" + two.pid() + ".slice").resolve("same.service")));
            assertEquals(List.of(firstPid), TestCgroup.pids(cgroup.service("same.service")),
                    "the first daemon's service is where it was, untouched");
        }
        assertTrue(alive(firstPid), "the second daemon's exit leaves the first's service running");
    }

    @Test
    void aDaemonRemovesTheEmptyCgroupsOfDaemonsThatAreGone() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long dead = gone.pid();
        Path base = cgroup.service("x.service").getParent().getParent();
        Path leaf = Files.createDirectories(base.resolve("vigil-daemon-" + dead + ".scope"));
        Path slice = Files.createDirectories(base.resolve("vigil-" + dead + ".slice").resolve("web.service"))
                .getParent();
        startDaemon(Files.createDirectories(sandbox.resolve("sv")).toString());
        Await.until("the dead daemon's cgroups removed", WAIT, () -> Files.notExists(leaf) && Files.notExists(slice));
    }

    @Test
    void aDelegatedCgroupBelongsToTheServiceUserWhoCanMakeCgroupsBelowIt() throws Exception {
        Path mount = vigil.cgroup.Hierarchy.find().orElseThrow().mount();
        // Backquotes, not $(...): a unit file's $ is a variable of its own.
        startDaemon("--units", units("deleg.service", """
                WorkingDirectory=/
                User=nobody
                Delegate=yes
                ExecStart=/bin/sh -c 'mkdir MOUNT`sed -n s/^0:://p /proc/self/cgroup`/child && exec sleep 1110'
                """.replace("MOUNT", mount.toString())).toString());
        Tools.Result start = vigil("start", "deleg");
        assertEquals(0, start.exit(), start.output() + "\n" + String.join("\n", daemon.lines()));
        Path group = cgroup.service("deleg.service");
        Await.until("the service's own child cgroup", WAIT, () -> Files.isDirectory(group.resolve("child")));
        assertEquals(65534, Files.getAttribute(group, "unix:uid"));
        assertEquals(65534, Files.getAttribute(group.resolve("cgroup.procs"), "unix:uid"));
        assertEquals(0, vigil("is-active", "deleg").exit(), "mkdir succeeded: the sleep runs");
    }
}
