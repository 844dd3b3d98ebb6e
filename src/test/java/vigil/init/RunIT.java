package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Signals;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.Tools;

/** {@code vigil run -- CMD} as a container's PID 1, in a fresh PID namespace as a runtime would start it. */
class RunIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess unshare;

    @BeforeEach
    void needsPidNamespaces() throws Exception {
        assumeTrue(Tools.run(sandbox, "unshare", "--pid", "--fork", "--mount-proc", "true").exit() == 0,
                "cannot make a PID namespace here");
    }

    @AfterEach
    void stop() throws Exception {
        if (unshare != null) unshare.close();
    }

    /** Starts {@code vigil run -- sh -c SCRIPT} as PID 1 of a new namespace; returns its pid as seen from here. */
    private long run(String script) throws Exception {
        unshare = DaemonProcess.start(sandbox, Map.of(), List.of("unshare", "--pid", "--fork", "--mount-proc",
                "--kill-child"), "run", "--", "sh", "-c", script);
        return Await.value("the namespace's init", WAIT, () -> {
            List<Long> children = Procs.children(unshare.pid());
            return children.isEmpty() ? null : children.getFirst();
        });
    }

    @Test
    void exitsWithTheCommandsCode() throws Exception {
        run("exit 7");
        assertEquals(7, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
    }

    @Test
    void aCommandKilledBySignalGives128PlusIt() throws Exception {
        run("kill -9 $$");
        assertEquals(128 + Signals.SIGKILL, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
    }

    @Test
    void termGoesToTheCommandsWholeGroup() throws Exception {
        Path log = sandbox.resolve("log");
        // A shell and its background job, one group: both hear the TERM a runtime sends to PID 1.
        long init = run("""
                sh -c 'trap "echo job TERM >> %1$s; exit 0" TERM; touch %2$s/job; while :; do sleep 0.1; done' &
                trap 'echo shell TERM >> %1$s; wait; exit 3' TERM
                touch %2$s/ready
                while :; do sleep 0.1; done
                """.formatted(log, sandbox));
        Await.until("the command ready", WAIT, () -> Files.exists(sandbox.resolve("ready"))
                && Files.exists(sandbox.resolve("job")));

        assertEquals(0, Tools.run(Path.of("/"), "kill", "-TERM", Long.toString(init)).exit());

        assertEquals(3, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        assertTrue(Files.readAllLines(log).containsAll(List.of("job TERM", "shell TERM")), Files.readString(log));
    }

    @Test
    void orphansAreReaped() throws Exception {
        // The double fork leaves the sleep an orphan of PID 1: a zombie there unless the init reaps it.
        long init = run("sh -c 'sleep 2.5 & echo $! > %1$s/orphan'; touch %1$s/go; exec sleep 1000"
                .formatted(sandbox));
        Await.until("the orphan started", WAIT, () -> Files.exists(sandbox.resolve("go")));
        long orphan = Await.value("the orphan, a child of the init", WAIT, () -> Procs.children(init).stream()
                .filter(pid -> Procs.cmdline(pid).startsWith("sleep 2.5")).findFirst().orElse(null));

        Await.until("the orphan reaped once it exited", WAIT, () -> !Procs.exists(orphan));
    }
}
