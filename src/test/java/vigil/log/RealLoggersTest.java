package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.testing.Await;

/**
 * Vigil's logger next to the real ones: runit's {@code svlogd} and daemontools' {@code tai64nlocal}. Skipped where
 * the Debian packages {@code runit} and {@code daemontools} are not installed; CI installs them.
 */
class RealLoggersTest {
    private static final String STAMPED = "@[0-9a-f]{24} ";

    @TempDir
    Path tmp;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killProcesses() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Path require(String name, String pkg) {
        Optional<Path> tool = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
        assumeTrue(tool.isPresent(), name + " is not installed (Debian package " + pkg + ")");
        return tool.get();
    }

    private Process start(List<String> command, Path dir) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    /** Runs svlogd with {@code options} on {@code dir}, feeding it {@code input} and then EOF. */
    private void svlogd(Path dir, byte[] input, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of(require("svlogd", "runit").toString()));
        command.addAll(List.of(options));
        command.add(dir.toString());
        Process p = start(command, tmp);
        try (OutputStream in = p.getOutputStream()) {
            in.write(input);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "svlogd finished");
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static void vigil(Path dir, byte[] input, TimestampFormat format, WallClock clock) throws IOException {
        try (LogWriter writer = LogWriter.open(dir, LogOptions.DEFAULT.withTimestamps(format), clock, e -> {})) {
            SplittableRandom random = new SplittableRandom(1);
            for (int at = 0; at < input.length; ) {
                int n = Math.min(input.length - at, random.nextInt(1, 4096));
                writer.append(input, at, n);
                at += n;
            }
        }
    }

    /** Lines of printable text, some empty, some long (below svlogd's 1000), each ended by a newline. */
    private static byte[] input(int lines) {
        SplittableRandom random = new SplittableRandom(3);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            int length = random.nextInt(8) == 0 ? random.nextInt(200, 900) : random.nextInt(0, 80);
            text.append(i).append(':');
            for (int j = 0; j < length; j++) text.append((char) random.nextInt(' ', '~' + 1));
            text.append('\n');
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static Path logDir(Path parent, String name, String config) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        LogDirs.write(dir.resolve("config"), config);
        return dir;
    }

    private static List<String> unstamped(Path dir) {
        return LogDirs.lines(LogDirs.all(dir)).stream().map(line -> {
            assertTrue(line.substring(0, 26).matches(STAMPED), "stamped: " + line);
            return line.substring(26);
        }).toList();
    }

    @Test
    void svlogdAndVigilWriteTheSameLinesInTheSameKindOfFiles() throws Exception {
        byte[] input = input(3000);
        Path svlogd = logDir(tmp, "svlogd", "s20000\nn100\n");
        Path vigil = logDir(tmp, "vigil", "s20000\nn100\n");
        svlogd(svlogd, input);
        vigil(vigil, input, TimestampFormat.NONE, WallClock.SYSTEM);

        assertEquals(LogDirs.all(svlogd), LogDirs.all(vigil));
        assertEquals(new String(input, StandardCharsets.US_ASCII), LogDirs.all(vigil));
        for (Path dir : List.of(svlogd, vigil)) {
            List<String> rotated = LogDirs.rotated(dir);
            assertTrue(rotated.size() > 10, dir + ": " + rotated.size() + " rotated files");
            // svlogd's 0744, less what others may read in Vigil's (see LogOwner); the owner's x marks it complete.
            String complete = dir == svlogd ? "rwxr--r--" : "rwxr-----";
            for (String name : rotated) {
                assertTrue(name.matches("@[0-9a-f]{24}\\.s"), dir + ": " + name);
                assertEquals(complete, LogDirs.mode(dir.resolve(name)), dir + "/" + name);
                assertTrue(Files.size(dir.resolve(name)) <= 20_000, dir + "/" + name);
            }
            assertEquals(complete, LogDirs.mode(dir.resolve("current")), dir + ": current complete");
            assertEquals("rw-------", LogDirs.mode(dir.resolve("lock")), dir + ": lock");
        }
    }

    @Test
    void stampsWithTai64nAsSvlogdDoes() throws Exception {
        byte[] input = input(200);
        Path svlogd = logDir(tmp, "svlogd", "");
        Path vigil = logDir(tmp, "vigil", "");
        svlogd(svlogd, input, "-t");
        vigil(vigil, input, TimestampFormat.TAI64N, WallClock.SYSTEM);
        assertEquals(unstamped(svlogd), unstamped(vigil));
    }

    @Test
    void tai64nlocalReadsVigilsStamps() throws Exception {
        Path tai64nlocal = require("tai64nlocal", "daemontools");
        LogDirs.TestClock clock = new LogDirs.TestClock();
        clock.advanceSeconds(0.123456789);
        Path vigil = logDir(tmp, "vigil", "");
        vigil(vigil, "first\nsecond\n".getBytes(StandardCharsets.US_ASCII), TimestampFormat.TAI64N, clock);

        ProcessBuilder builder = new ProcessBuilder(tai64nlocal.toString())
                .redirectInput(vigil.resolve("current").toFile()).redirectErrorStream(true);
        builder.environment().put("TZ", "UTC");
        Process p = builder.start();
        processes.add(p);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "tai64nlocal finished");
        String converted = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals("2026-11-21 13:00:00.123456789 first\n2026-11-21 13:00:00.123456789 second\n", converted);
    }

    @Test
    void eachCarriesOnWithTheOthersDirectory() throws Exception {
        Path dir = logDir(tmp, "shared", "");
        svlogd(dir, "from svlogd\n".getBytes(StandardCharsets.US_ASCII));
        vigil(dir, "from vigil\n".getBytes(StandardCharsets.US_ASCII), TimestampFormat.NONE, WallClock.SYSTEM);
        svlogd(dir, "svlogd again\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of(), LogDirs.rotated(dir), "each closed current cleanly, so none kept it as unfinished");
        assertEquals("from svlogd\nfrom vigil\nsvlogd again\n", LogDirs.read(dir.resolve("current")));
    }

    @Test
    void aRunningSvlogdKeepsVigilOutAndTheReaderReadsItsStamps() throws Exception {
        Path dir = logDir(tmp, "svlogd", "");
        Process p = start(List.of(require("svlogd", "runit").toString(), "-tt", dir.toString()), tmp);
        OutputStream in = p.getOutputStream();
        in.write("held\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        Await.until("svlogd writes", Duration.ofSeconds(10), () -> Files.exists(dir.resolve("current"))
                && LogDirs.read(dir.resolve("current")).endsWith("held\n"));
        assertThrows(LogLockedException.class,
                () -> LogWriter.open(dir, LogOptions.DEFAULT, WallClock.SYSTEM, e -> {}));
        in.close();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "svlogd finished");

        long stamp = Timestamps.parse(LogDirs.read(dir.resolve("current")).getBytes(StandardCharsets.US_ASCII), 0, 25);
        long now = WallClock.SYSTEM.epochNanos();
        assertTrue(Math.abs(now - stamp) < 60_000_000_000L, "svlogd -tt stamps are UTC");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogReader.print(dir, new LogQuery(-1, stamp), out);
        assertTrue(out.toString(StandardCharsets.US_ASCII).endsWith(" held\n"));
        out.reset();
        LogReader.print(dir, new LogQuery(-1, stamp + 1_000_000_000L), out);
        assertEquals("", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void followsSvlogdThroughItsRotations() throws Exception {
        Path dir = logDir(tmp, "svlogd", "s2000\nn0\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int total = 5000;
        try (LogFollower follower = LogFollower.start(dir, LogQuery.ALL, out); EventLoop loop = EventLoop.create()) {
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            loop.setErrorReporter(failures::add);
            loop.watch(follower.fd(), Epoll.EPOLLIN, events -> follower.onReadable());
            Thread thread = Thread.ofPlatform().start(loop::run);
            try {
                StringBuilder input = new StringBuilder();
                for (int i = 0; i < total; i++) input.append("line ").append(i).append('\n');
                svlogd(dir, input.toString().getBytes(StandardCharsets.US_ASCII));
                Await.until("every line", Duration.ofSeconds(30), () -> !failures.isEmpty()
                        || LogDirs.wholeLines(out.toString(StandardCharsets.US_ASCII)) >= total);
            } finally {
                loop.stop();
                thread.join(10_000);
            }
            assertEquals(List.of(), failures);
        }
        assertTrue(LogDirs.rotated(dir).size() > 10, "svlogd rotated");
        List<String> lines = LogDirs.lines(out.toString(StandardCharsets.US_ASCII));
        assertEquals(IntStream.range(0, total).mapToObj(i -> "line " + i).toList(), lines);
    }
}
