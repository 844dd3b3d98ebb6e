package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import vigil.log.LogOptions;
import vigil.log.LogWriter;
import vigil.log.TimestampFormat;
import vigil.log.WallClock;
import vigil.testing.Await;

/** {@code vigil logs}, run as its own JVM the way a user runs it. */
class LogsCommandTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path root;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void kill() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private record Result(int exit, String out, String err) {}

    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "vigil.cli.Main", "logs", "--log-dir", root.toString(),
                // No daemon there: a busy log cannot be handed to one.
                "--control", root.resolve("no-daemon").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        processes.add(p);
        return p;
    }

    private Result run(String... args) throws Exception {
        Process p = start(args);
        p.getOutputStream().close();
        // Outputs here are a few lines, far below a pipe's capacity: wait first, so a hang fails the test.
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "vigil logs finished");
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private LogWriter writer(String name) throws IOException {
        return LogWriter.open(root.resolve(name), LogOptions.DEFAULT.withTimestamps(TimestampFormat.NONE),
                WallClock.SYSTEM, e -> {});
    }

    private static void append(LogWriter writer, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        writer.append(bytes, 0, bytes.length);
    }

    @Test
    void printsTheLastLinesAcrossRotations() throws Exception {
        try (LogWriter writer = writer("web")) {
            append(writer, "one\ntwo\n");
            writer.rotate();
            append(writer, "three\n");
        }
        assertEquals(new Result(0, "one\ntwo\nthree\n", ""), run("web"));
        assertEquals(new Result(0, "two\nthree\n", ""), run("-n", "2", "web"));
        assertEquals(new Result(0, "three\n", ""), run("-n1", root.resolve("web").toString()));
    }

    @Test
    void anEmptyLogOrOneWithNothingSelectedSaysSoOnStderrAndSucceeds() throws Exception {
        try (LogWriter writer = writer("web")) {
            assertEquals(new Result(0, "", "vigil: logs: no entries in web's log " + root.resolve("web") + "\n"),
                    run("web"));
        }
        try (LogWriter stamped = LogWriter.open(root.resolve("db"), LogOptions.DEFAULT, WallClock.SYSTEM, e -> {})) {
            append(stamped, "old\n");
        }
        assertEquals(new Result(0, "", "vigil: logs: no entries in db's log " + root.resolve("db") + "\n"),
                run("--since", "2200-01-01", "db"));
        assertEquals(new Result(0, "", ""), run("-n", "0", "db"));
    }

    @Test
    void journalctlSaysNoEntriesOnStdoutAsJournalctlDoesAndQuietSilencesIt() throws Exception {
        Files.createDirectories(root.resolve("web"));
        assertEquals(new Result(0, "-- No entries --\n", ""), journalctl("-u", "web", "--no-pager"));
        assertEquals(new Result(0, "", ""), journalctl("-q", "-u", "web"));
    }

    @Test
    void severalLogsOrEveryOneAreMergedByTimeEachLineTaggedWithItsName() throws Exception {
        Files.createDirectories(root.resolve("web"));
        Files.createDirectories(root.resolve("db"));
        Files.writeString(root.resolve("web/current"), "2026-01-01T00:00:01.000000Z a1\n"
                + "2026-01-01T00:00:03.000000Z a3\n...a3's second piece\n");
        Files.writeString(root.resolve("db/current"), "@400000006955b90c00000000 b2\n2026-01-01T00:00:04.000000Z b4\n");
        String merged = "2026-01-01T00:00:01.000000Z web: a1\n@400000006955b90c00000000 db: b2\n"
                + "2026-01-01T00:00:03.000000Z web: a3\nweb: ...a3's second piece\n2026-01-01T00:00:04.000000Z db: b4\n";
        assertEquals(new Result(0, merged, ""), run("web", "db"));
        assertEquals(new Result(0, merged, ""), run());
        assertEquals(new Result(0, "web: ...a3's second piece\n2026-01-01T00:00:04.000000Z db: b4\n", ""),
                run("-n", "2", "db", "web"));
        assertEquals(new Result(0, "2026-01-01T00:00:01.000000Z web: a1\n@400000006955b90c00000000 db: b2\n", ""),
                run("--until", "2026-01-01T00:00:02Z", "db", "web"));
        assertEquals(new Result(0, merged, ""), journalctl("-u", "web", "-u", "db"));
    }

    @Test
    void priorityKeepsTheLinesOfThatSeverityOrMoreUrgentAndCountsLinesWithoutOneAsInfo() throws Exception {
        Files.createDirectories(root.resolve("ssh"));
        Files.writeString(root.resolve("ssh/current"), "2026-01-01T00:00:01.000000Z <38>sshd: accepted\n"
                + "2026-01-01T00:00:02.000000Z <35>sshd: failed password\n"
                + "2026-01-01T00:00:03.000000Z plain stdout\n<0>panic\n");
        assertEquals(new Result(0, "2026-01-01T00:00:02.000000Z <35>sshd: failed password\n<0>panic\n", ""),
                run("-p", "err", "ssh"));
        assertEquals(new Result(0, "<0>panic\n", ""), run("-p", "emerg", "ssh"));
        assertEquals(new Result(0, "2026-01-01T00:00:01.000000Z <38>sshd: accepted\n"
                + "2026-01-01T00:00:03.000000Z plain stdout\n", ""), run("-p", "info..warning", "ssh"));
        assertEquals(new Result(0, "<0>panic\n", ""), journalctl("-p", "0", "-u", "ssh"));
        assertEquals(2, run("-p", "loud", "ssh").exit());
    }

    private Result journalctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "vigil.cli.Main", "journalctl"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("VIGIL_LOG_DIR", root.toString());
        builder.environment().put("VIGIL_CONTROL", root.resolve("no-daemon").toString());
        Process p = builder.start();
        processes.add(p);
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "vigil journalctl finished");
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void saysWhenThereIsNoSuchLog() throws Exception {
        Result result = run("nosuch");
        assertEquals(1, result.exit());
        assertEquals("vigil: logs: no log directory " + root.resolve("nosuch") + "\n", result.err());
        assertEquals(2, run("-n", "-3", "web").exit());
        assertEquals(2, run("..").exit());
    }

    @Test
    void rotatesAnIdleLogAndExplainsWhyNotABusyOne() throws Exception {
        try (LogWriter writer = writer("web")) {
            append(writer, "line\n");
            Result busy = run("--rotate", "web");
            assertEquals(1, busy.exit());
            assertTrue(busy.err().contains("web: a logger holds " + root.resolve("web")
                    + " and no Vigil daemon answers"), busy.err());
        }
        assertEquals(new Result(0, "", ""), run("--rotate", "web"));
        try (var files = Files.list(root.resolve("web"))) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().matches("@[0-9a-f]{24}\\.s")).count());
        }
        assertEquals("", Files.readString(root.resolve("web/current")));
    }

    @Test
    void followsUntilKilled() throws Exception {
        try (LogWriter writer = writer("web")) {
            append(writer, "before\n");
            Process p = start("-f", "web");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread pump = Thread.ofPlatform().start(() -> copy(p.getInputStream(), out));
            Await.until("the old line", Duration.ofSeconds(30),
                    () -> out.toString(StandardCharsets.US_ASCII).equals("before\n"));
            append(writer, "after\n");
            writer.rotate();
            append(writer, "rotated\n");
            Await.until("the new lines", Duration.ofSeconds(30),
                    () -> out.toString(StandardCharsets.US_ASCII).equals("before\nafter\nrotated\n"));
            assertTrue(p.isAlive(), "still following");
            p.destroy();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            pump.join(10_000);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // The process was killed: what it printed is in out.
        }
    }

    @Test
    void readsTimesForSince() {
        Instant now = Instant.parse("2026-11-21T13:00:00Z");
        ZoneId zone = ZoneId.of("Europe/Paris");
        long base = now.getEpochSecond() * SECOND;
        assertEquals(base - 600 * SECOND, LogsCommand.SinceConverter.parse("10m", now, zone));
        assertEquals(base - 2 * 86_400 * SECOND, LogsCommand.SinceConverter.parse("-2d", now, zone));
        assertEquals(base, LogsCommand.SinceConverter.parse("2026-11-21T13:00:00Z", now, zone));
        assertEquals(base + SECOND / 2, LogsCommand.SinceConverter.parse("2026-11-21T14:00:00.5+01:00", now, zone));
        assertEquals(base, LogsCommand.SinceConverter.parse("2026-11-21 14:00", now, zone));
        assertEquals(base - 14 * 3600 * SECOND, LogsCommand.SinceConverter.parse("2026-11-21", now, zone));
        assertEquals(base, LogsCommand.SinceConverter.parse("@400000006b0195da00000000", now, zone));
        assertThrows(CommandLine.TypeConversionException.class,
                () -> LogsCommand.SinceConverter.parse("someday", now, zone));
        // journalctl's forms.
        assertEquals(base - (14 + 24) * 3600 * SECOND, LogsCommand.SinceConverter.parse("yesterday", now, zone));
        assertEquals(base - 14 * 3600 * SECOND, LogsCommand.SinceConverter.parse("today", now, zone));
        assertEquals(base - 2 * 3600 * SECOND, LogsCommand.SinceConverter.parse("2 hours ago", now, zone));
        assertEquals(base - 30 * 60 * SECOND, LogsCommand.SinceConverter.parse("30 min ago", now, zone));
    }
}
