package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildrenTest {
    private final StartedChildren children = new StartedChildren();

    @AfterEach
    void cleanUp() throws OsException {
        children.cleanUp();
    }

    private Spawned sh(String script) throws OsException {
        Spawned s = children.spawn(ExecSpec.builder(Path.of("/bin/sh"), List.of("sh", "-c", script))
                .environment(Map.of("PATH", "/usr/bin:/bin")).build());
        assertEquals(Optional.empty(), s.awaitExec());
        return s;
    }

    /** Reaps with waitAny until {@code pid} turns up; other children that turn up are returned too. */
    private List<Reaped> waitAnyFor(int pid) throws OsException {
        var reaped = new ArrayList<Reaped>();
        int pidfd = children.fd(Children.pidfdOpen(pid));
        assertTrue(Children.awaitExit(pidfd, 30_000), "child did not exit");
        while (reaped.stream().noneMatch(r -> r.pid() == pid)) {
            reaped.add(Children.waitAny().orElseThrow(() -> new AssertionError("exited child not reaped")));
        }
        return reaped;
    }

    @Test
    void waitAnyReapsAnExitedChild() throws OsException {
        Spawned s = sh("exit 7");
        List<Reaped> reaped = waitAnyFor(s.pid());
        assertTrue(reaped.contains(new Reaped(s.pid(), ExitStatus.exited(7))), reaped.toString());
        assertThrows(OsException.class, () -> Children.waitPid(s.pid(), false), "already reaped");
    }

    @Test
    void waitAnyIsEmptyWhileChildrenRun() throws OsException {
        Spawned s = sh("exec sleep 100");
        assertEquals(Optional.empty(), Children.waitAny());
        assertTrue(Children.sendSignal(s.pid(), Signals.SIGTERM));
        assertEquals(ExitStatus.killed(Signals.SIGTERM), children.reap(s.pid()));
    }

    @Test
    void coreDumpIsReported(@TempDir Path dir) throws Exception {
        String pattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern")).strip();
        Assumptions.assumeTrue(!pattern.startsWith("|") && !pattern.contains("/"), "cores go elsewhere: " + pattern);
        Spawned s = children.spawn(ExecSpec.builder(Path.of("/bin/sh"), List.of("sh", "-c", "kill -QUIT $$"))
                .workingDirectory(dir).rlimit(ExecSpec.Rlimit.CORE, ExecSpec.Rlimit.INFINITY, ExecSpec.Rlimit.INFINITY)
                .build());
        assertEquals(new ExitStatus(-1, Signals.SIGQUIT, true), children.reap(s.pid()));
    }

    @Test
    void pidfdSignalsOnlyUntilTheProcessIsReaped() throws OsException {
        Spawned s = sh("exec sleep 100");
        int pidfd = children.fd(Children.pidfdOpen(s.pid()));
        assertFalse(Children.awaitExit(pidfd, 0));
        assertTrue(Children.pidfdSendSignal(pidfd, Signals.SIGKILL));
        assertTrue(Children.awaitExit(pidfd, 30_000));
        // A zombie can still be signalled (harmlessly); once reaped, its pidfd refuses instead of hitting a new pid.
        assertTrue(Children.pidfdSendSignal(pidfd, 0));
        assertEquals(ExitStatus.killed(Signals.SIGKILL), children.reap(s.pid()));
        assertFalse(Children.pidfdSendSignal(pidfd, 0));
    }

    @Test
    void waitPidOfAStrangerFails() {
        var e = assertThrows(OsException.class, () -> Children.waitPid(1, false));
        assertEquals(Errno.ECHILD, e.errno());
    }

    @Test
    void subreaperAdoptsOrphans() throws OsException {
        Children.setChildSubreaper();
        int[] out = children.fdPair(Fds.pipe(0));
        Spawned s = children.spawn(ExecSpec.builder(Path.of("/bin/sh"), List.of("sh", "-c", "sleep 100 & echo $!"))
                .fd(1, out[1]).environment(Map.of("PATH", "/usr/bin:/bin")).build());
        Fds.close(out[1]);
        assertEquals(Optional.empty(), s.awaitExec());
        assertEquals(ExitStatus.exited(0), children.reap(s.pid()));
        // sleep kept stdout open, so read only its pid's line rather than to EOF.
        int orphan = children.track(Integer.parseInt(readLine(out[0])));
        assertTrue(Children.sendSignal(orphan, Signals.SIGKILL));
        assertEquals(ExitStatus.killed(Signals.SIGKILL), children.reap(orphan));
    }

    @Test
    void identity() throws Exception {
        assertEquals(ProcessHandle.current().pid(), Children.getpid());
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"), Children.getuid());
    }

    private static String readLine(int fd) throws OsException {
        var line = new StringBuilder();
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var buffer = arena.allocate(1);
            while (Fds.read(fd, buffer, 1) == 1) {
                char c = (char) buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                if (c == '\n') break;
                line.append(c);
            }
        }
        return line.toString();
    }
}
