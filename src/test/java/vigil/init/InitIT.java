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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vigil.os.Signals;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.Tools;

/**
 * {@code vigil init} as PID 1 of a fresh PID namespace ({@code unshare --pid --fork --mount-proc}), as a
 * container's init. To power off or halt it exits, with 0 when no critical service ended it (ContainerIT has those);
 * to reboot, reboot(2) ends it with SIGHUP, which unshare reports as its exit code 128 + that signal. Every process
 * left in the namespace dies with its init.
 */
class InitIT {
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

    /** Starts {@code vigil init ARGS} as PID 1 of a new namespace; returns the init's pid as seen from here. */
    private long startInit(String... args) {
        return startInit(List.of(), args);
    }

    /** As {@link #startInit(String...)}, the init started through {@code wrapper} (inside the namespace). */
    private long startInit(List<String> wrapper, String... args) {
        List<String> command = new ArrayList<>(List.of("init", "--control", sandbox.resolve("control").toString(),
                "--log-dir", sandbox.resolve("log").toString()));
        command.addAll(List.of(args));
        try {
            // --kill-child: if unshare is killed (the test's cleanup), the namespace's init and all in it go too.
            List<String> prefix = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc",
                    "--kill-child"));
            prefix.addAll(wrapper);
            unshare = DaemonProcess.start(sandbox, Map.of(), prefix, command.toArray(String[]::new));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return Await.value("the namespace's init", WAIT, () -> {
            List<Long> children = Procs.children(unshare.pid());
            return children.isEmpty() ? null : children.getFirst();
        });
    }

    private static void signal(long pid, String signal) throws Exception {
        assertEquals(0, Tools.run(Path.of("/"), "kill", "-" + signal, Long.toString(pid)).exit());
    }

    @Test
    void termStopsTheServicesRunsTheShutdownScriptStopsWhatIsLeftAndPowersOff() throws Exception {
        Path order = sandbox.resolve("order");
        Path boot = script(sandbox.resolve("boot"), """
                echo boot >> %1$s
                touch %2$s/booted
                # Not a service: only the init's final TERM stops it.
                setsid sh -c 'trap "echo stray TERM >> %1$s; exit 0" TERM; while :; do sleep 0.1; done' &
                """.formatted(order, sandbox));
        Path shutdown = script(sandbox.resolve("shutdown"), "echo \"shutdown $1\" >> " + order);
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("web/run"), """
                [ -e %2$s/booted ] || exit 9
                echo web up >> %1$s
                trap 'echo web TERM >> %1$s; exit 0' TERM
                while :; do sleep 0.1; done
                """.formatted(order, sandbox));
        // Its background job outlives the sh that started it: an orphan, which only PID 1 can reap.
        script(root.resolve("orphans/run"), "sh -c 'sleep 2.5 &'; exec sleep 1000");

        long init = startInit("--boot", boot.toString(), "--shutdown", shutdown.toString(), root.toString());
        Await.until("web up", WAIT, () -> lines(order).contains("web up"));
        long orphan = Await.value("the orphan, a child of the init", WAIT, () -> Procs.children(init).stream()
                .filter(pid -> Procs.cmdline(pid).startsWith("sleep 2.5")).findFirst().orElse(null));
        Await.until("the orphan reaped once it exited", WAIT, () -> !Procs.exists(orphan));

        signal(init, "TERM");

        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        assertEquals(List.of("boot", "web up", "web TERM", "shutdown poweroff", "stray TERM"), lines(order));
        unshare.awaitLine("vigil init: sent TERM to every process left", WAIT);
        unshare.awaitLine("vigil init: syncing disks; poweroff", WAIT);
    }

    /**
     * daemon-reexec as PID 1, the one way to upgrade the init without a reboot: the new init goes on in stage 2
     * (the boot script does not run again), with the same services, and still ends the system as asked.
     */
    @Test
    void aReexecutedInitGoesOnInStageTwo() throws Exception {
        Path order = sandbox.resolve("order");
        Path boot = script(sandbox.resolve("boot"), "echo boot >> " + order);
        Path shutdown = script(sandbox.resolve("shutdown"), "echo \"shutdown $1\" >> " + order);
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("web/run"), "exec sleep 1000");
        long init = startInit("--boot", boot.toString(), "--shutdown", shutdown.toString(), root.toString());
        unshare.awaitLine("supervising 1 services", WAIT);
        long web = Await.value("web", WAIT, () -> Procs.children(init).stream()
                .filter(pid -> Procs.cmdline(pid).startsWith("sleep 1000")).findFirst().orElse(null));

        List<String> client = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), "vigil.cli.Main", "daemon-reexec"));
        for (int i = 0; i < 2; i++) {
            Tools.Result reexec = Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("control").toString()),
                    null, client);
            assertEquals(0, reexec.exit(), reexec.output() + "\n" + String.join("\n", unshare.lines()));
        }
        assertTrue(Procs.cmdline(init).contains("--reexec-state="), Procs.cmdline(init));
        assertEquals(init, Procs.parent(web), "the service is still the init's child");
        assertEquals(List.of("boot"), lines(order), "the boot script ran once");

        signal(init, "TERM");
        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        assertEquals(List.of("boot", "shutdown poweroff"), lines(order));
    }

    @Test
    void intReboots() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("idle/run"), "exec sleep 1000");
        long init = startInit(root.toString());
        unshare.awaitLine("supervising 1 services", WAIT);

        signal(init, "INT");

        assertEquals(128 + Signals.SIGHUP, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        unshare.awaitLine("vigil init: syncing disks; reboot", WAIT);
    }

    @Test
    void vigilShutdownRebootAsksTheInitToReboot() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("idle/run"), "exec sleep 1000");
        startInit(root.toString());
        unshare.awaitLine("supervising 1 services", WAIT);

        Tools.Result shutdown = Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("control").toString()),
                null, List.of(System.getProperty("vigil.launcher"), "shutdown", "--reboot"));

        assertEquals(0, shutdown.exit(), shutdown.output());
        assertTrue(shutdown.output().contains("the daemon stopped 1 services and exited"), shutdown.output());
        assertEquals(128 + Signals.SIGHUP, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        unshare.awaitLine("shutdown \\(then reboot\\) requested over the control socket", WAIT);
    }

    @Test
    void aContainersInitWithoutCapSysBootExitsAtTheEndOfAReboot() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("idle/run"), "exec sleep 1000");
        // As in a container: PID 1 of its own namespace, without CAP_SYS_BOOT. A power-off exits without reboot(2).
        long init = startInit(List.of("setpriv", "--bounding-set", "-sys_boot", "--"), root.toString());
        unshare.awaitLine("supervising 1 services", WAIT);

        signal(init, "INT");

        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        unshare.awaitLine("vigil init: cannot reboot \\(.*\\); a container's init: exiting 0", WAIT);
    }

    @Test
    void aBootScriptThatExits100SkipsTheServices() throws Exception {
        Path boot = script(sandbox.resolve("boot"), "exit 100");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("never/run"), "touch " + sandbox.resolve("ran") + "; exec sleep 1000");

        startInit("--boot", boot.toString(), root.toString());

        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        assertTrue(Files.notExists(sandbox.resolve("ran")), "no service started");
        unshare.awaitLine("exited 100: no services, shutting down", WAIT);
    }

    @Test
    void aTermDuringBootEndsTheSystemOnceTheBootScriptIsDone() throws Exception {
        Path boot = script(sandbox.resolve("boot"), "touch %1$s/booting; while [ ! -e %1$s/go ]; do sleep 0.05; done"
                .formatted(sandbox));
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        script(root.resolve("never/run"), "touch " + sandbox.resolve("ran") + "; exec sleep 1000");
        long init = startInit("--boot", boot.toString(), root.toString());
        Await.until("the boot script running", WAIT, () -> Files.exists(sandbox.resolve("booting")));

        // Before the daemon runs: the JVM's own TERM handler would make PID 1 exit.
        signal(init, "TERM");
        unshare.awaitLine("vigil init: got TERM: poweroff next", WAIT);
        Files.createFile(sandbox.resolve("go"));

        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        assertTrue(Files.notExists(sandbox.resolve("ran")), "no service started");
    }

    /**
     * The kernel's PID 1 with no initramfs finds nothing mounted: the java launcher, which finds libjli.so through
     * /proc/self/exe, died at once, and PID 1 with it. The launcher's vigil-exec mounts what is missing first.
     */
    @Test
    void bootsWithNoProcSysDevOrRunMounted() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path mounted = sandbox.resolve("mounted");
        script(root.resolve("look/run"), """
                { [ -e /proc/self/exe ] && echo proc; [ -d /sys/kernel ] && echo sys; [ -c /dev/null ] && echo dev
                  grep -q ' /run tmpfs ' /proc/self/mounts && echo run; } > %s
                exec sleep 1000
                """.formatted(mounted));
        // Lazily, so that nothing below them holds them; twice for /proc, which unshare mounted over the host's.
        long init = startInit(List.of("sh", "-c", "for m in /proc /proc /sys /dev /run; do umount -l $m 2>/dev/null;"
                + " done; [ -e /proc/self ] && exit 99; exec \"$@\"", "sh"), root.toString());
        Await.until("the service's report", WAIT, () -> lines(mounted).size() == 4);

        assertEquals(List.of("proc", "sys", "dev", "run"), lines(mounted));
        signal(init, "TERM");
        assertEquals(0, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
    }

    /**
     * vigil reboot, poweroff and halt, and vigil as sysvinit's shutdown, reboot, poweroff, halt and telinit
     * through a symlink, reach PID 1 as a signal sent by the launcher itself, with no JVM. Inside the namespace,
     * as a command on the machine would.
     */
    @ParameterizedTest
    @CsvSource({"vigil reboot, reboot", "vigil poweroff, poweroff", "vigil halt, halt",
            "vigil shutdown --reboot, reboot", "reboot, reboot", "poweroff, poweroff", "halt -p, poweroff",
            "shutdown -r now, reboot", "shutdown -h now, poweroff", "telinit 6, reboot", "telinit 0, poweroff"})
    void anEndingCommandReachesTheInitWithoutAJvm(String command, String ending) throws Exception {
        String[] words = command.split(" ");
        Path program = Path.of(System.getProperty("vigil.launcher"));
        if (!words[0].equals("vigil")) {
            program = Files.createSymbolicLink(sandbox.resolve(words[0]), program);
        }
        String args = String.join(" ", List.of(words).subList(1, words.length));
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path ran = sandbox.resolve("ran");
        // Once: a service run again after the init got the signal must not ask again.
        script(root.resolve("ask/run"), """
                [ -e %1$s ] && exec sleep 1000
                touch %1$s
                exec %2$s %3$s
                """.formatted(ran, program, args));

        startInit(root.toString());

        // A container's init exits 0 to power off or halt (no critical service); reboot(2) ends it with HUP.
        int expected = ending.equals("reboot") ? 128 + Signals.SIGHUP : 0;
        assertEquals(expected, unshare.awaitExit(WAIT), String.join("\n", unshare.lines()));
        unshare.awaitLine("vigil init: syncing disks; " + ending, WAIT);
    }

    @Test
    void refusesToRunAsAnyOtherProcess() throws Exception {
        Tools.Result result = Tools.run(sandbox, System.getProperty("vigil.launcher"), "init",
                sandbox.toString());
        assertEquals(2, result.exit(), result.output());
        assertTrue(result.output().contains("vigil init: not PID 1"), result.output());
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
