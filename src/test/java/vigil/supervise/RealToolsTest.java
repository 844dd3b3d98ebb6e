package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.supervise.SuperviseState.RunState;
import vigil.supervise.SuperviseState.Want;

/**
 * The real runit ({@code sv}) and daemontools ({@code svstat}, {@code svok}) clients against a {@link SuperviseDir}.
 * Skipped where the Debian packages {@code runit} and {@code daemontools} are not installed; CI installs them.
 */
class RealToolsTest {
    private static final int AGE = 5;

    @TempDir
    Path root;
    private Path service;
    private Process sleeper;
    private SuperviseDir supervise;
    /** When the status was written: its stamp says {@link #AGE} seconds before. */
    private Instant published;

    private record Result(int exit, String output) {}

    @BeforeEach
    void setUp() throws IOException {
        service = Files.createDirectory(root.resolve("svc"));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (supervise != null) supervise.close();
        if (sleeper != null) {
            sleeper.destroyForcibly();
            sleeper.waitFor();
        }
    }

    private static Optional<Path> tool(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static Path require(String name, String pkg) {
        Optional<Path> path = tool(name);
        assumeTrue(path.isPresent(), name + " is not installed (Debian package " + pkg + ")");
        return path.get();
    }

    private static Result run(Path tool, String... args) throws Exception {
        var command = new ArrayList<String>(List.of(tool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            // The output is one line, far below a pipe's capacity: wait first, so a hung tool fails the test.
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), command + " finished in time");
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.exitValue(), output.strip());
        } finally {
            p.destroyForcibly();
        }
    }

    /** A real process for the status file to name, so the tools see a live pid. */
    private int startSleeper() throws IOException {
        sleeper = new ProcessBuilder("sleep", "600").start();
        return Math.toIntExact(sleeper.pid());
    }

    private void publish(RunState state, int pid, Want want, boolean paused, boolean gotTerm) throws IOException {
        supervise = SuperviseDir.open(service);
        published = Instant.now();
        supervise.write(new SuperviseState(state, pid, want, paused, gotTerm, published.minusSeconds(AGE)));
    }

    /**
     * Matches, and checks the seconds group: the TAI64 stamp has to decode to about {@link #AGE} seconds ago, give
     * or take the time the tool took to start on a busy machine.
     */
    private Matcher matches(String regex, String output) {
        Matcher m = Pattern.compile(regex).matcher(output);
        assertTrue(m.matches(), () -> "\"" + output + "\" should match " + regex);
        long seconds = Long.parseLong(m.group("seconds"));
        long since = Duration.between(published, Instant.now()).toSeconds();
        assertTrue(seconds >= AGE && seconds <= AGE + 3 + since,
                "age " + seconds + "s should be about " + AGE + "s (written " + since + "s ago)");
        return m;
    }

    @Test
    void svStatusOfARunningService() throws Exception {
        Path sv = require("sv", "runit");
        int pid = startSleeper();
        publish(RunState.RUN, pid, Want.UP, false, false);
        Result status = run(sv, "status", service.toString());
        assertEquals(0, status.exit(), status.output());
        matches("run: " + Pattern.quote(service.toString()) + ": \\(pid " + pid + "\\) (?<seconds>\\d+)s",
                status.output());
    }

    @Test
    void svStatusShowsEveryFlag() throws Exception {
        Path sv = require("sv", "runit");
        int pid = startSleeper();
        Files.createFile(service.resolve("down"));
        publish(RunState.RUN, pid, Want.DOWN, true, true);
        matches("run: " + Pattern.quote(service.toString()) + ": \\(pid " + pid
                + "\\) (?<seconds>\\d+)s, normally down, paused, want down, got TERM",
                run(sv, "status", service.toString()).output());
    }

    @Test
    void svStatusOfFinish() throws Exception {
        Path sv = require("sv", "runit");
        int pid = startSleeper();
        publish(RunState.FINISH, pid, Want.DOWN, false, false);
        matches("finish: " + Pattern.quote(service.toString()) + ": \\(pid " + pid + "\\) (?<seconds>\\d+)s, want down",
                run(sv, "status", service.toString()).output());
    }

    @Test
    void svStatusOfANormallyDownService() throws Exception {
        Path sv = require("sv", "runit");
        Files.createFile(service.resolve("down"));
        publish(RunState.DOWN, 0, Want.DOWN, false, false);
        // sv says "normally down" only while a pid runs: down and normally down is just "down".
        Result status = run(sv, "status", service.toString());
        assertEquals(0, status.exit(), status.output());
        matches("down: " + Pattern.quote(service.toString()) + ": (?<seconds>\\d+)s", status.output());
    }

    @Test
    void svStatusOfADownServiceWantedUp() throws Exception {
        Path sv = require("sv", "runit");
        publish(RunState.DOWN, 0, Want.UP, false, false);
        matches("down: " + Pattern.quote(service.toString()) + ": (?<seconds>\\d+)s, normally up, want up",
                run(sv, "status", service.toString()).output());
    }

    @Test
    void svSeesTheSupervisorGo() throws Exception {
        Path sv = require("sv", "runit");
        publish(RunState.DOWN, 0, Want.DOWN, false, false);
        supervise.close();
        Result status = run(sv, "status", service.toString());
        assertEquals("fail: " + service + ": runsv not running", status.output());
        assertEquals(1, status.exit());
    }

    @Test
    void svstatOfARunningService() throws Exception {
        Path svstat = require("svstat", "daemontools");
        int pid = startSleeper();
        publish(RunState.RUN, pid, Want.UP, false, false);
        matches(Pattern.quote(service.toString()) + ": up \\(pid " + pid + "\\) (?<seconds>\\d+) seconds",
                run(svstat, service.toString()).output());
    }

    @Test
    void svstatOfADownService() throws Exception {
        Path svstat = require("svstat", "daemontools");
        publish(RunState.DOWN, 0, Want.UP, false, false);
        matches(Pattern.quote(service.toString()) + ": down (?<seconds>\\d+) seconds, normally up, want up",
                run(svstat, service.toString()).output());
    }

    @Test
    void svstatShowsFlags() throws Exception {
        Path svstat = require("svstat", "daemontools");
        int pid = startSleeper();
        Files.createFile(service.resolve("down"));
        publish(RunState.RUN, pid, Want.DOWN, true, false);
        matches(Pattern.quote(service.toString()) + ": up \\(pid " + pid
                + "\\) (?<seconds>\\d+) seconds, normally down, paused, want down",
                run(svstat, service.toString()).output());
    }

    @Test
    void svokWhileOpenAndAfterClose() throws Exception {
        Path svok = require("svok", "daemontools");
        publish(RunState.DOWN, 0, Want.UP, false, false);
        assertEquals(0, run(svok, service.toString()).exit(), "supervised");
        supervise.close();
        assertEquals(100, run(svok, service.toString()).exit(), "ok has no reader: ENXIO");
    }
}
