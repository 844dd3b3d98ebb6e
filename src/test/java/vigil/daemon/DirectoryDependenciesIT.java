package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * Service directories in one dependency graph with the units, under a real daemon: a directory's
 * {@code dependencies.d/} names units and other directories, each starts only once what it requires is ready, and
 * they stop in reverse. Each service writes down, with the time, when it started, was ready and stopped.
 */
class DirectoryDependenciesIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private Path root;
    private Path units;
    private DaemonProcess daemon;

    @BeforeEach
    void dirs() throws IOException {
        root = Files.createDirectories(sandbox.resolve("sv"));
        units = Files.createDirectories(sandbox.resolve("units"));
    }

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** One line a service wrote: who, what, and when (nanoseconds since the epoch). */
    private record Event(String who, String what, long nanos) {}

    /** Shell that appends "WHO WHAT NANOS" to the events file. */
    private String record(String who, String what) {
        return "echo \"" + who + " " + what + " $(date +%s%N)\" >> " + sandbox.resolve("events");
    }

    /** A run that records its start and, on TERM, its stop. */
    private String recordedRun(String who, String beforeReady) {
        return record(who, "started") + "\n"
                + "trap '" + record(who, "stopped") + "; kill $!; exit 0' TERM\n"
                + beforeReady + "\n"
                + "sleep 1000 & wait\n";
    }

    private List<Event> events() {
        Path f = sandbox.resolve("events");
        try {
            List<Event> out = new ArrayList<>();
            if (!Files.exists(f)) return out;
            for (String line : Files.readAllLines(f)) {
                String[] w = line.split(" ");
                if (w.length == 3) out.add(new Event(w[0], w[1], Long.parseLong(w[2])));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long when(String who, String what) {
        return events().stream().filter(e -> e.who().equals(who) && e.what().equals(what)).mapToLong(Event::nanos)
                .max().orElseThrow(() -> new AssertionError(who + " " + what + " is not recorded: " + events()));
    }

    private boolean recorded(String who, String what) {
        return events().stream().anyMatch(e -> e.who().equals(who) && e.what().equals(what));
    }

    private void unit(String name, String text) throws IOException {
        Files.writeString(units.resolve(name), text);
    }

    private void dependsOn(Path dir, String... names) throws IOException {
        Path deps = Files.createDirectories(dir.resolve("dependencies.d"));
        for (String name : names) Files.createFile(deps.resolve(name));
    }

    private void startDaemon() throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir", DaemonProcess.logDir(sandbox).toString(),
                root.toString(), "--units", units.toString());
    }

    private Tools.Result sv(String... args) throws Exception {
        return Tools.run(root, Map.of(), null, Tools.command(Tools.require("sv", "runit").toString(), args));
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }

    @Test
    void aNotifyUnitThenAUnitThatRequiresItThenADirectoryThatRequiresThatStartInTurnAndStopInReverse()
            throws Exception {
        ServiceDirs.script(sandbox.resolve("db.sh"), recordedRun("db", "sleep 0.5; " + record("db", "ready")
                + "; systemd-notify --ready"));
        ServiceDirs.script(sandbox.resolve("app.sh"), recordedRun("app", "sleep 0.5; " + record("app", "ready")
                + "; systemd-notify --ready"));
        unit("db.service", "[Service]\nType=notify\nNotifyAccess=all\nExecStart=" + sandbox.resolve("db.sh") + "\n");
        unit("app.service", "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nType=notify\n"
                + "NotifyAccess=all\nExecStart=" + sandbox.resolve("app.sh") + "\n");
        Path web = ServiceDirs.service(root, "web", recordedRun("web", ""));
        dependsOn(web, "app.service");
        startDaemon();
        Await.until("web starts", WAIT, () -> recorded("web", "started"));
        assertTrue(when("db", "ready") < when("app", "started"), events().toString());
        assertTrue(when("app", "ready") < when("web", "started"), events().toString());
        Tools.Result status = vigil("status", "web.service");
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().contains("web"), "the directory is web.service too: " + status.output());

        assertEquals(0, daemon.terminate(WAIT));
        assertTrue(when("web", "stopped") < when("app", "stopped"), events().toString());
        assertTrue(when("app", "stopped") < when("db", "stopped"), events().toString());
    }

    @Test
    void aDirectoryThatRequiresADirectoryWaitsForItsNotificationFd() throws Exception {
        Path db = ServiceDirs.service(root, "db", recordedRun("db", "sleep 0.5; " + record("db", "ready")
                + "; echo >&3"));
        Files.writeString(db.resolve("notification-fd"), "3\n");
        Path web = ServiceDirs.service(root, "web", recordedRun("web", ""));
        dependsOn(web, "db");
        startDaemon();
        Await.until("web starts", WAIT, () -> recorded("web", "started"));
        assertTrue(when("db", "ready") < when("web", "started"), events().toString());
        assertEquals(0, daemon.terminate(WAIT));
        assertTrue(when("web", "stopped") < when("db", "stopped"), events().toString());
    }

    @Test
    void svDownOfADirectoryStopsTheUnitsThatRequireItFirstAndSvUpOfADependentBringsItsRequirementsBack()
            throws Exception {
        // Each is ready once it has written its start down, so that what is ordered after it starts later by the clock
        // too (without readiness, a start is done at the exec, before the script writes anything).
        Path db = ServiceDirs.service(root, "db", recordedRun("db", "echo >&3"));
        Files.writeString(db.resolve("notification-fd"), "3\n");
        unit("app.service", "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nType=notify\n"
                + "NotifyAccess=all\nExecStart=" + sandbox.resolve("app.sh") + "\n");
        ServiceDirs.script(sandbox.resolve("app.sh"), recordedRun("app", "systemd-notify --ready"));
        Path web = ServiceDirs.service(root, "web", recordedRun("web", ""));
        dependsOn(web, "app.service");
        startDaemon();
        Await.until("web starts", WAIT, () -> recorded("web", "started"));

        assertEquals(0, sv("down", "./db").exit());
        ServiceDirs.awaitDown(db, WAIT);
        Await.until("db stops", WAIT, () -> recorded("db", "stopped"));
        assertTrue(when("web", "stopped") < when("app", "stopped"), events().toString());
        assertTrue(when("app", "stopped") < when("db", "stopped"), events().toString());
        assertFalse(ServiceDirs.status(web).running(), "web requires app, which required db");

        long before = when("web", "started");
        assertEquals(0, sv("up", "./web").exit());
        Await.until("web starts again", WAIT, () -> when("web", "started") > before);
        assertTrue(when("db", "started") > before && when("db", "started") < when("app", "started"),
                events().toString());
        assertTrue(when("app", "started") < when("web", "started"), events().toString());
    }

    @Test
    void aFailingRequirementKeepsTheDirectoryDownWithResultDependencyAndTheRestRuns() throws Exception {
        unit("broken.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
        Path web = ServiceDirs.service(root, "web", recordedRun("web", ""));
        dependsOn(web, "broken.service");
        // A directory that fails for good (its finish says 125), required by a unit.
        Path flaky = ServiceDirs.service(root, "flaky", "exit 1");
        Files.writeString(flaky.resolve("notification-fd"), "3\n");
        ServiceDirs.script(flaky.resolve("finish"), "exit 125");
        ServiceDirs.script(sandbox.resolve("app.sh"), recordedRun("app", ""));
        unit("app.service", "[Unit]\nRequires=flaky.service\nAfter=flaky.service\n[Service]\nExecStart="
                + sandbox.resolve("app.sh") + "\n");
        ServiceDirs.service(root, "other", recordedRun("other", ""));
        startDaemon();
        daemon.awaitLine(Pattern.quote("vigil: web.service: not started: it needs broken.service, whose start did "
                + "not succeed"), WAIT);
        daemon.awaitLine(Pattern.quote("vigil: web.service: start job ended: dependency"), WAIT);
        daemon.awaitLine(Pattern.quote("vigil: app.service: start job ended: dependency"), WAIT);
        Await.until("other runs", WAIT, () -> recorded("other", "started"));
        assertFalse(recorded("web", "started"));
        assertFalse(recorded("app", "started"));
        Tools.Result start = vigil("start", "--timeout", "3", "web");
        assertNotEquals(0, start.exit(), start.output());
        assertFalse(recorded("web", "started"), "broken fails again, so web stays down");
    }

    @Test
    void aUnitFileNamedAsADirectoryIsALoadErrorNamingBothAndTheRestLoad() throws Exception {
        Path web = ServiceDirs.service(root, "web", recordedRun("web", ""));
        unit("web.service", "[Service]\nExecStart=/bin/sleep 1020\n");
        ServiceDirs.script(sandbox.resolve("other.sh"), recordedRun("other", ""));
        unit("other.service", "[Service]\nExecStart=" + sandbox.resolve("other.sh") + "\n");
        startDaemon();
        String line = daemon.awaitLine("web.*" + Pattern.quote(web.toString()) + ".*" + Pattern.quote(units
                .resolve("web.service").toString()) + "|web.*" + Pattern.quote(units.resolve("web.service")
                .toString()) + ".*" + Pattern.quote(web.toString()), WAIT);
        assertTrue(line.contains("is web.service too"), line);
        Await.until("other runs", WAIT, () -> recorded("other", "started"));
    }

    @Test
    void dependenciesNamingItselfOrNothingAreSaidAndANameThatComesLaterStartsTheDirectory() throws Exception {
        Path selfish = ServiceDirs.service(root, "selfish", recordedRun("selfish", ""));
        dependsOn(selfish, "selfish");
        Path lonely = ServiceDirs.service(root, "lonely", recordedRun("lonely", ""));
        dependsOn(lonely, "ghost");
        startDaemon();
        daemon.awaitLine(Pattern.quote(selfish.resolve("dependencies.d/selfish")
                + ": names the service itself; ignored"), WAIT);
        Await.until("selfish runs all the same", WAIT, () -> recorded("selfish", "started"));
        daemon.awaitLine(Pattern.quote("vigil: lonely: " + lonely.resolve("dependencies.d")
                + " names ghost.service, which exists nowhere (no unit file, no service directory): lonely starts "
                + "once it does"), WAIT);
        assertFalse(recorded("lonely", "started"));

        Path staging = Files.createDirectories(sandbox.resolve("staging"));
        ServiceDirs.service(staging, "ghost", recordedRun("ghost", ""));
        Files.move(staging.resolve("ghost"), root.resolve("ghost"));
        Await.until("lonely starts once ghost exists", WAIT, () -> recorded("lonely", "started"));
        // ghost's start job was done at its exec, which may come before its script writes anything down.
        Await.until("ghost runs", WAIT, () -> recorded("ghost", "started"));
    }
}
