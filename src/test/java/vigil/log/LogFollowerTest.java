package vigil.log;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.testing.Await;

class LogFollowerTest {
    @TempDir
    Path tmp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final AtomicReference<Throwable> loopFailure = new AtomicReference<>();
    private LogFollower follower;
    private EventLoop loop;
    private Thread loopThread;

    private Path dir() {
        return tmp.resolve("log");
    }

    /** Starts following on a loop thread of its own, as {@code vigil logs -f} does on its main thread. */
    private void follow(LogQuery query) throws IOException {
        follower = LogFollower.start(dir(), query, out);
        loop = EventLoop.create();
        loop.setErrorReporter(loopFailure::set);
        loop.watch(follower.fd(), Epoll.EPOLLIN, events -> follower.onReadable());
        loopThread = Thread.ofPlatform().name("follower").start(loop::run);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (loop != null) {
            loop.stop();
            loopThread.join(10_000);
            loop.close();
        }
        if (follower != null) follower.close();
    }

    /** Waits until {@code count} whole lines are printed, failing at once if the follower failed. */
    private void awaitLines(String what, int count) {
        Await.until(what, Duration.ofSeconds(30), () -> loopFailure.get() != null
                || LogDirs.wholeLines(out.toString(StandardCharsets.ISO_8859_1)) >= count);
        if (loopFailure.get() != null) throw new AssertionError("the follower failed", loopFailure.get());
    }

    private List<String> printed() {
        return LogDirs.lines(out.toString(StandardCharsets.ISO_8859_1));
    }

    private static byte[] line(int i) {
        return ("line " + i + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Like assertEquals, but says where two long lists part instead of printing them. */
    private static void assertLines(List<String> expected, List<String> actual) {
        int i = 0;
        while (i < Math.min(expected.size(), actual.size()) && expected.get(i).equals(actual.get(i))) i++;
        if (i == expected.size() && i == actual.size()) return;
        throw new AssertionError("printed " + actual.size() + " lines, want " + expected.size() + "; line " + i
                + " is " + (i < actual.size() ? "'" + actual.get(i) + "'" : "missing") + ", want "
                + (i < expected.size() ? "'" + expected.get(i) + "'" : "nothing"));
    }

    private static List<String> range(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "line " + i).toList();
    }

    private LogWriter writer(String config) throws IOException {
        Files.createDirectories(dir());
        LogDirs.write(dir().resolve("config"), config);
        return LogWriter.open(dir(), LogOptions.DEFAULT.withTimestamps(TimestampFormat.NONE), WallClock.SYSTEM,
                e -> {});
    }

    @Test
    void printsEveryLineOnceThroughHundredsOfRotationsWhileTheyHappen() throws Exception {
        int total = 30_000;
        try (LogWriter writer = writer("s1000\nn0\n")) {
            for (int i = 0; i < 100; i++) writer.append(line(i), 0, line(i).length);
            follow(LogQuery.ALL);
            // Bursts of lines, so that rotations land while the follower is between any two of its steps.
            for (int i = 100; i < total; i++) {
                writer.append(line(i), 0, line(i).length);
                if (i % 997 == 0) Thread.onSpinWait();
            }
        }
        awaitLines("every line followed", total);
        assertLines(range(0, total), printed());
        assertTrue(LogDirs.rotated(dir()).size() > 200, "rotated " + LogDirs.rotated(dir()).size() + " times");
    }

    @Test
    void startsWithTheLastLinesThenFollows() throws Exception {
        try (LogWriter writer = writer("s100\nn0\n")) {
            for (int i = 0; i < 50; i++) writer.append(line(i), 0, line(i).length);
            follow(new LogQuery(5, Long.MIN_VALUE));
            awaitLines("the last 5 lines", 5);
            assertLines(range(45, 50), printed());
            for (int i = 50; i < 60; i++) writer.append(line(i), 0, line(i).length);
            awaitLines("10 more lines", 15);
        }
        assertLines(range(45, 60), printed());
    }

    @Test
    void waitsForALogThatHasNoCurrentYet() throws Exception {
        Files.createDirectories(dir());
        follow(LogQuery.ALL);
        try (LogWriter writer = writer("")) {
            writer.append(line(1), 0, line(1).length);
            awaitLines("the first line", 1);
        }
        assertLines(range(1, 2), printed());
    }
}
