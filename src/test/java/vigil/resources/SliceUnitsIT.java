package vigil.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * {@code Slice=} and {@code .slice} units on real processes, as root (#13): a unit of {@code test-web.slice} runs in
 * {@code DAEMON-SLICE/test.slice/test-web.slice/NAME.service}, in v2 (where it is tracked) and in the v1 pids
 * hierarchy alike, and the slice file's {@code TasksMax=5} is the slice's own pids.max there.
 */
class SliceUnitsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;
    private final String unit = "web-" + Long.toString(System.nanoTime(), 36) + ".service";

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void aUnitOfASliceRunsInTheSlicesCgroupUnderItsLimits() throws Exception {
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "needs root");
        Optional<Path> pidsBase = CgroupMounts.current().directoryFor("pids");
        assumeTrue(pidsBase.isPresent() && !CgroupMounts.current().isV2("pids"), "needs the v1 pids controller");
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(sandbox.resolve("main.sh"), "echo $$ > main.pid.new && mv main.pid.new main.pid\n"
                + "exec sleep 600\n");
        Files.writeString(units.resolve(unit), "[Service]\nWorkingDirectory=" + sandbox
                + "\nExecStart=/bin/sh main.sh\nSlice=test-web.slice\n");
        Files.writeString(units.resolve("test-web.slice"), "[Unit]\nDescription=the web's\n[Slice]\nTasksMax=5\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine(Pattern.quote(unit) + ": started", WAIT);
        Path pidFile = sandbox.resolve("main.pid");
        Await.until("main.pid written", WAIT, () -> Files.exists(pidFile));
        String pid = Files.readString(pidFile).strip();

        List<String> cgroups = Files.readAllLines(Path.of("/proc", pid, "cgroup"));
        String v2 = line(cgroups, "0::");
        String tail = "/test.slice/test-web.slice/" + unit;
        assertTrue(v2.endsWith(tail), v2);
        // The daemon's slice (vigil.slice, or vigil-PID.slice beside another daemon) is the root of its slices.
        String daemonSlice = Path.of(v2).getParent().getParent().getParent().getFileName().toString();
        assertTrue(daemonSlice.matches("vigil(-\\d+)?\\.slice"), v2);
        String pidsLine = cgroups.stream().filter(l -> l.matches("\\d+:([^:]*,)?pids(,[^:]*)?:.*")).findFirst()
                .orElseThrow();
        assertTrue(pidsLine.endsWith("/" + daemonSlice + tail), pidsLine);

        Path slice = pidsBase.get().resolve(daemonSlice + "/test.slice/test-web.slice");
        assertEquals("5", Files.readString(slice.resolve("pids.max")).strip());
        assertTrue(Files.readAllLines(slice.resolve(unit).resolve("cgroup.procs")).contains(pid));

        // Stopped, the unit's resource-control cgroups go, and the slices above them that nothing else is in.
        assertEquals(0, vigil("stop", unit).exit());
        Await.until(slice + " removed", WAIT, () -> !Files.exists(slice));
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }

    private static String line(List<String> cgroups, String prefix) {
        return cgroups.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
    }
}
