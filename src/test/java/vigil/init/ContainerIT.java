package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.script;

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
import vigil.os.Signals;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.Tools;

/**
 * {@code vigil init} and {@code vigil run --services} as a container's entry point, in a fresh PID namespace as a
 * runtime would start them ({@code unshare --pid --fork --mount-proc}): the container's exit code is unshare's.
 */
class ContainerIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess unshare;
    private Path order;

    @BeforeEach
    void needsPidNamespaces() throws Exception {
        assumeTrue(Tools.run(sandbox, "unshare", "--pid", "--fork", "--mount-proc", "true").exit() == 0,
                "cannot make a PID namespace here");
        order = sandbox.resolve("order");
    }

    @AfterEach
    void stop() throws Exception {
        if (unshare != null) unshare.close();
    }

    /** Starts {@code vigil ARGS} as PID 1 of a new namespace; returns its pid as seen from here. */
    private long start(String... args) throws Exception {
        unshare = DaemonProcess.start(sandbox, Map.of(), List.of("unshare", "--pid", "--fork", "--mount-proc",
                "--kill-child"), args);
        return Await.value("the namespace's PID 1", WAIT, () -> {
            List<Long> children = Procs.children(unshare.pid());
            return children.isEmpty() ? null : children.getFirst();
        });
    }

    private long init(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("init", "--control", sandbox.resolve("control").toString(),
                "--log-dir", sandbox.resolve("log").toString()));
        command.addAll(List.of(args));
        return start(command.toArray(String[]::new));
    }

    /**
     * Two units, web after db, that say when they get TERM: stopped in reverse dependency order, web first.
     * {@code extra} is more of the unit directory's files.
     */
    private Path units() throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        for (String name : List.of("db", "web")) {
            Files.writeString(units.resolve(name + ".service"), """
                    [Unit]
                    %3$s
                    [Service]
                    ExecStart=/bin/sh -c 'trap "echo %1$s TERM >> %2$s; exit 0" TERM; touch %4$s/%1$s-up; while :; do sleep 0.1; done'
                    """.formatted(name, order, name.equals("web") ? "After=db.service" : "", sandbox));
        }
        return units;
    }

    private void awaitUp(String... names) {
        for (String name : names) {
            Await.until(name + " up", WAIT, () -> Files.exists(sandbox.resolve(name + "-up")));
        }
    }

    private String output() {
        return String.join("\n", unshare.lines());
    }

    @Test
    void aCriticalUnitThatExitsForGoodEndsTheContainerWithItsCodeAfterStoppingTheRestInOrder() throws Exception {
        Path units = units();
        // Restart= is no by default: its first exit is its last.
        Files.writeString(units.resolve("app.service"), """
                [Unit]
                After=web.service
                [Service]
                ExecStart=/bin/sh -c 'until [ -e %1$s/web-up ]; do sleep 0.05; done; exit 3'
                X-Vigil-Critical=yes
                """.formatted(sandbox));

        init("--units", units.toString());

        assertEquals(3, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("web TERM", "db TERM"), Files.readAllLines(order));
        unshare.awaitLine("app.service \\(critical\\) exited 3, so the daemon exits 3", WAIT);
        unshare.awaitLine("vigil init: a container's init: exiting 3", WAIT);
    }

    @Test
    void aCriticalDirectoryWhoseFinishSaysStayDownEndsTheContainerWithRunsCode() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("other/run"), """
                trap 'echo other TERM >> %1$s; exit 0' TERM
                touch %2$s/other-up
                while :; do sleep 0.1; done
                """.formatted(order, sandbox));
        Path app = root.resolve("app");
        script(app.resolve("run"), "until [ -e %s/other-up ]; do sleep 0.05; done; exit 4".formatted(sandbox));
        // s6-overlay's way to end the container from a finish script; here, runit's "stay down".
        script(app.resolve("finish"), "exit 125");
        Files.writeString(app.resolve("critical"), "");

        init(root.toString());

        assertEquals(4, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("other TERM"), Files.readAllLines(order));
    }

    @Test
    void aCriticalDirectoryThatExitsIsRestartedAsAnyOtherAndEndsNothing() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path app = root.resolve("app");
        script(app.resolve("run"), "echo ran >> %s; exec sleep 1000".formatted(order));
        Files.writeString(app.resolve("critical"), "");
        long init = init(root.toString());
        Await.until("app up", WAIT, () -> Files.exists(order));
        long first = Await.value("app's sleep", WAIT, () -> Procs.children(init).stream()
                .filter(pid -> Procs.cmdline(pid).startsWith("sleep 1000")).findFirst().orElse(null));

        assertEquals(0, Tools.run(Path.of("/"), "kill", "-KILL", Long.toString(first)).exit());

        Await.until("app restarted", WAIT, () -> {
            try {
                return Files.readAllLines(order).size() == 2;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(unshare.alive(), output());
    }

    @Test
    void termStopsTheServicesInOrderAndTheContainerExitsWithTheCriticalServicesCode() throws Exception {
        Path units = units();
        Files.writeString(units.resolve("app.service"), """
                [Service]
                ExecStart=/bin/sh -c 'trap "exit 7" TERM; touch %1$s/app-up; while :; do sleep 0.1; done'
                X-Vigil-Critical=yes
                """.formatted(sandbox));
        long init = init("--units", units.toString());
        awaitUp("db", "web", "app");

        assertEquals(0, Tools.run(Path.of("/"), "kill", "-TERM", Long.toString(init)).exit());

        assertEquals(7, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("web TERM", "db TERM"), Files.readAllLines(order));
    }

    @Test
    void termWithNoCriticalServiceExitsZero() throws Exception {
        long init = init("--units", units().toString());
        awaitUp("db", "web");

        assertEquals(0, Tools.run(Path.of("/"), "kill", "-TERM", Long.toString(init)).exit());

        assertEquals(0, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("web TERM", "db TERM"), Files.readAllLines(order));
    }

    @Test
    void runBesideATreeExitsWithTheCommandsCodeOnceTheTreeIsStoppedInOrder() throws Exception {
        Path units = units();

        start("run", "--units", units.toString(), "--control", sandbox.resolve("control").toString(),
                "--log-dir", sandbox.resolve("log").toString(), "--", "sh", "-c",
                "until [ -e %1$s/db-up ] && [ -e %1$s/web-up ]; do sleep 0.05; done; exit 5".formatted(sandbox));

        assertEquals(5, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("web TERM", "db TERM"), Files.readAllLines(order));
    }

    @Test
    void runBesideATreePassesTermToTheCommandWhoseEndStopsTheTree() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("other/run"), """
                trap 'echo other TERM >> %1$s; exit 0' TERM
                touch %2$s/other-up
                while :; do sleep 0.1; done
                """.formatted(order, sandbox));
        long pid1 = start("run", "--services", root.toString(), "--control", sandbox.resolve("control").toString(),
                "--log-dir", sandbox.resolve("log").toString(), "--", "sh", "-c", """
                        trap 'echo command TERM >> %1$s; exit 9' TERM
                        touch %2$s/command-up
                        while :; do sleep 0.1; done
                        """.formatted(order, sandbox));
        awaitUp("other", "command");
        assertEquals(0, Tools.run(Path.of("/"), "kill", "-TERM", Long.toString(pid1)).exit());

        assertEquals(9, unshare.awaitExit(WAIT), output());
        assertEquals(List.of("command TERM", "other TERM"), Files.readAllLines(order));
    }

    @Test
    void runBesideATreeReapsOrphans() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("idle/run"), "exec sleep 1000");
        long pid1 = start("run", "--services", root.toString(), "--control", sandbox.resolve("control").toString(),
                "--log-dir", sandbox.resolve("log").toString(), "--", "sh", "-c",
                "sh -c 'sleep 0.5 &'; touch %s/command-up; exec sleep 1000".formatted(sandbox));
        awaitUp("command");
        long orphan = Await.value("the orphan, PID 1's child", WAIT, () -> Procs.children(pid1).stream()
                .filter(pid -> Procs.cmdline(pid).startsWith("sleep 0.5")).findFirst().orElse(null));

        Await.until("the orphan reaped once it exited", WAIT, () -> !Procs.exists(orphan));
        assertEquals(0, Tools.run(Path.of("/"), "kill", "-TERM", Long.toString(pid1)).exit());
        assertEquals(128 + Signals.SIGTERM, unshare.awaitExit(WAIT), output());
    }
}
