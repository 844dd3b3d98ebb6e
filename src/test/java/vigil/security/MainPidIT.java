package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import vigil.testing.Nobody;
import vigil.testing.Procs;
import vigil.testing.Tools;

/**
 * The MAINPID= attack: a service user, or anyone who can reach a unit's notify socket, names a process that is not
 * the unit's as its main process, so that root's Vigil kills it at the next stop. Vigil believes a pid outside the
 * unit only from root, and never its own; a real descendant of the unit is still taken.
 */
class MainPidIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The system's python, which uid 65534 may run (a pyenv shim in root's home it may not). */
    private static final String PYTHON = "/usr/bin/python3";

    /**
     * Sends {@code MAINPID=ARGV[1]} (its parent's pid for {@code ppid}) and READY=1 from its own pid, the main
     * process's, then waits to be stopped.
     */
    private static final String CLAIM = """
            import os, socket, sys, time
            pid = os.getppid() if sys.argv[1] == "ppid" else int(sys.argv[1])
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(("MAINPID=%d\\nREADY=1" % pid).encode())
            while True:
                time.sleep(1000)
            """;

    /**
     * A daemon that double-forks: the grandchild outlives its parent and is reparented to Vigil (the subreaper),
     * and the main process names it. It stays in the main process's session, which is what shows it is the unit's.
     */
    private static final String DOUBLE_FORK = """
            import os, socket, time
            r, w = os.pipe()
            if os.fork() == 0:
                if os.fork() == 0:
                    os.close(r)
                    os.write(w, str(os.getpid()).encode())
                    os.close(w)
                    while True:
                        time.sleep(1000)
                os._exit(0)
            os.close(w)
            daemon = int(os.read(r, 32))
            os.wait()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(("MAINPID=%d\\nREADY=1" % daemon).encode())
            while True:
                time.sleep(1000)
            """;

    /** Sends one datagram, ARGV[2], to the socket at ARGV[1]. */
    private static final String SEND = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(sys.argv[2].encode(), sys.argv[1])
            """;

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    /** A root process that belongs to no unit: what the attacker wants killed. */
    private Process victim;

    @BeforeEach
    void startVictim() throws Exception {
        Nobody.require();
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is not installed");
        Nobody.letIn(sandbox);
        Files.writeString(sandbox.resolve("claim.py"), CLAIM);
        Files.writeString(sandbox.resolve("doublefork.py"), DOUBLE_FORK);
        // In the sandbox, so that the daemon's cleanup would find it too.
        victim = new ProcessBuilder("sleep", "1090").directory(sandbox.toFile()).start();
    }

    @AfterEach
    void stopAll() throws Exception {
        if (daemon != null) daemon.close();
        victim.destroyForcibly();
        victim.waitFor();
    }

    private Path unit(String name, String service) throws Exception {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(dir.resolve(name), "[Service]\nWorkingDirectory=" + sandbox + "\n" + service);
        return dir;
    }

    private void startDaemon(Path units) throws Exception {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString(),
                "--control", control().toString());
    }

    private Path control() {
        return sandbox.resolve("run/control");
    }

    /** {@code vigil stop NAME}, which waits for the stop to complete. */
    private Tools.Result stop(String name) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main", "stop", name));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", control().toString()), null, command);
    }

    /** Why a pid is not the unit's: not in its cgroup where the daemon has cgroups, else not of its processes. */
    private String notTheUnits() {
        return daemon.countLines("no cgroup tracking") > 0 ? " is not one of the unit's processes"
                : " is not in the unit's cgroup";
    }

    private void assertStopped(String name, Tools.Result stop) {
        assertEquals(0, stop.exit(), stop + "\n" + String.join("\n", daemon.lines()));
        assertTrue(stop.output().contains(name + ".service: inactive"), stop.output());
    }

    @Test
    void aServiceUserCannotNameAnotherProcessAsItsMainProcess() throws Exception {
        Path units = unit("claim.service", """
                Type=notify
                NotifyAccess=main
                User=nobody
                ExecStart=%s %s %d
                """.formatted(PYTHON, sandbox.resolve("claim.py"), victim.pid()));
        startDaemon(units);
        daemon.awaitLine("claim.service: running", WAIT);
        String refusal = daemon.awaitLine("claim.service: (refusing MAINPID|main process is now pid)", WAIT);

        Tools.Result stop = stop("claim");
        assertTrue(victim.isAlive(), "the victim was never the unit's, so it was not signalled");
        assertStopped("claim", stop);
        assertTrue(refusal.contains("refusing MAINPID=" + victim.pid() + " from pid ")
                && refusal.contains("(uid 65534): pid " + victim.pid() + notTheUnits()), refusal);
        assertEquals(1, daemon.countLines("refusing MAINPID"));
    }

    @Test
    void anyoneOnTheSocketOfNotifyAccessAllCannotNameAnotherProcess() throws Exception {
        Path units = unit("open.service", """
                NotifyAccess=all
                ExecStart=/bin/sleep 1091
                """);
        startDaemon(units);
        daemon.awaitLine("open.service: running", WAIT);
        Path socket = sandbox.resolve("run/notify/open.service");
        Await.until("the unit's notify socket", WAIT, () -> Files.exists(socket));
        Tools.Result sent = Nobody.run(sandbox, null, PYTHON, "-c", SEND, socket.toString(),
                "MAINPID=" + victim.pid());
        assertEquals(0, sent.exit(), sent.output());
        String refusal = daemon.awaitLine("open.service: (refusing MAINPID|main process is now pid)", WAIT);

        Tools.Result stop = stop("open");
        assertTrue(victim.isAlive(), "the victim was never the unit's, so it was not signalled");
        assertStopped("open", stop);
        assertTrue(refusal.contains("(uid 65534): pid " + victim.pid() + notTheUnits()), refusal);
    }

    @Test
    void evenRootCannotNameVigilItself() throws Exception {
        // The main process's parent is the daemon: "ppid" names it.
        Path units = unit("self.service", """
                Type=notify
                NotifyAccess=main
                TimeoutStopSec=3
                ExecStart=%s %s ppid
                """.formatted(PYTHON, sandbox.resolve("claim.py")));
        startDaemon(units);
        long self = daemon.pid();
        daemon.awaitLine("self.service: running", WAIT);
        String refusal = daemon.awaitLine("self.service: (refusing MAINPID|main process is now pid)", WAIT);

        Tools.Result stop = stop("self");
        assertTrue(daemon.alive(), "Vigil did not signal itself");
        assertStopped("self", stop);
        assertEquals(0, daemon.countLines("self.service: .*timed out"), String.join("\n", daemon.lines()));
        assertTrue(refusal.contains("refusing MAINPID=" + self + " from pid ")
                && refusal.contains("(uid 0): pid " + self + " is Vigil itself"), refusal);
    }

    @Test
    void aServiceUsersPidFileCannotNameAnotherProcess() throws Exception {
        // The PID file's directory is the service user's, so the file says whatever he likes.
        Path run = Files.createDirectory(sandbox.resolve("nobody-run"));
        Files.setAttribute(run, "unix:uid", Nobody.UID);
        Path units = unit("forking.service", """
                Type=forking
                User=nobody
                PIDFile=%s
                ExecStart=/bin/sh -c 'echo %d > %s'
                """.formatted(run.resolve("forking.pid"), victim.pid(), run.resolve("forking.pid")));
        startDaemon(units);
        String refusal = daemon.awaitLine("forking.service: (refusing pid|main process is pid)", WAIT);

        stop("forking");
        assertTrue(victim.isAlive(), "the victim was never the unit's, so it was not signalled");
        assertTrue(refusal.contains("refusing pid " + victim.pid() + " from PID file " + run.resolve("forking.pid")
                + ": pid " + victim.pid() + notTheUnits()), refusal);
        assertTrue(refusal.contains("(in " + run + ", a directory owned by uid 65534)"), refusal);
        daemon.awaitLine("forking.service: failed with result 'protocol'", WAIT);
    }

    @Test
    void aDaemonThatDoubleForksIsStillTakenAsTheMainProcess() throws Exception {
        Path units = unit("forks.service", """
                Type=notify
                NotifyAccess=main
                User=nobody
                ExecStart=%s %s
                """.formatted(PYTHON, sandbox.resolve("doublefork.py")));
        startDaemon(units);
        daemon.awaitLine("forks.service: running", WAIT);
        String moved = daemon.awaitLine("forks.service: (refusing MAINPID|main process is now pid)", WAIT);
        Matcher m = Pattern.compile("main process is now pid (\\d+)").matcher(moved);
        assertTrue(m.find(), moved);
        long forked = Long.parseLong(m.group(1));
        assertEquals(daemon.pid(), Procs.parent(forked), "reparented to Vigil, the subreaper");

        assertStopped("forks", stop("forks"));
        Await.until("the double-forked daemon is stopped", WAIT, () -> !Procs.running(forked));
        assertFalse(Procs.running(forked));
    }
}
