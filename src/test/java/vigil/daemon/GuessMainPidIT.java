package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.TestCgroup;
import vigil.testing.Tools;

/**
 * Type=forking without PIDFile= (apache2.service): a daemon that calls setsid and leaves its starter behind is
 * found (GuessMainPID=yes), stays up, shows as the main process and is stopped by {@code vigil stop}; with a cgroup
 * per service and without one.
 */
class GuessMainPidIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The master leads a session of its own and has a worker, as apache's does. */
    private static final String APACHE_LIKE = """
            [Service]
            Type=forking
            ExecStart=/bin/sh -c 'setsid sh -c "sleep 1301 & exec sleep 1302" </dev/null >/dev/null 2>&1 & exit 0'
            """;

    @TempDir
    Path sandbox;
    private TestCgroup cgroup;
    private DaemonProcess daemon;

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) daemon.close();
        if (cgroup != null) cgroup.close();
    }

    @Test
    void withoutCgroupsTheOrphanOfTheStartIsTheMainProcess() throws Exception {
        startAndStop(List.of(), "--no-cgroups");
    }

    @Test
    void inACgroupTheOneProcessWhoseParentIsGoneIsTheMainProcess() throws Exception {
        cgroup = TestCgroup.create("guess-main-it");
        startAndStop(cgroup.wrapper());
    }

    private void startAndStop(List<String> wrapper, String... options) throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("web.service"), APACHE_LIKE);
        List<String> args = new ArrayList<>(List.of("daemon", "--log-dir", DaemonProcess.logDir(sandbox).toString()));
        args.addAll(List.of(options));
        args.addAll(List.of("--units", units.toString()));
        daemon = DaemonProcess.start(sandbox, Map.of(), wrapper, args.toArray(String[]::new));
        Await.until("the control socket", WAIT, () -> Files.exists(sandbox.resolve("run/control")));
        assertEquals(0, vigil("start", "web").exit(), String.join("\n", daemon.lines()));
        String line = daemon.awaitLine("web.service: main process is pid \\d+ \\(guessed", WAIT);
        Matcher m = Pattern.compile("pid (\\d+)").matcher(line);
        assertTrue(m.find());
        long main = Long.parseLong(m.group(1));
        String command = ProcessHandle.of(main).flatMap(p -> p.info().commandLine()).orElse("");
        assertTrue(command.endsWith("sleep 1302"), command);
        long worker = Await.value("the worker", WAIT, () -> ProcessHandle.of(main)
                .flatMap(p -> p.children().findFirst()).map(ProcessHandle::pid).orElse(null));
        String status = vigil("status", "web").output();
        assertTrue(status.matches("(?s).*Main PID: +" + main + "\\b.*"), status);
        assertTrue(status.contains("active (running)"), status);
        assertEquals(0, vigil("stop", "web").exit());
        Await.until("the daemon and its worker to be gone; daemon said:\n" + String.join("\n", daemon.lines()),
                WAIT, () -> !alive(main) && !alive(worker));
        assertEquals(0, daemon.countLines("web.service: .*the daemon is gone"), String.join("\n", daemon.lines()));
    }

    private Tools.Result vigil(String... args) throws Exception {
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null,
                Tools.command(System.getProperty("vigil.launcher"), args));
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
