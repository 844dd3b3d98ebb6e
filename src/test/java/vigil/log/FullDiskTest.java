package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A log on a 256 KiB tmpfs the test mounts (as root; skipped where mounting is not allowed). */
class FullDiskTest {
    private static final Pattern LINE =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z line (\\d{7}) x{80}");

    @TempDir
    Path tmp;
    private Path mount;
    private boolean mounted;
    private final LogDirs.TestClock clock = new LogDirs.TestClock();
    private final List<LogEvent> events = new ArrayList<>();

    @BeforeEach
    void mountTmpfs() throws Exception {
        mount = Files.createDirectory(tmp.resolve("small"));
        String output = run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString());
        mounted = output == null;
        assumeTrue(mounted, "cannot mount a tmpfs here: " + output);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) assertEquals(null, run("umount", mount.toString()), "umount " + mount);
    }

    /** Runs a command: null if it succeeded, else its output. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            // The output is a line at most, far below a pipe's capacity: wait first, so a hang fails the test.
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " finished");
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + output;
        } finally {
            p.destroyForcibly();
        }
    }

    private static byte[] line(int i) {
        return String.format("line %07d %s\n", i, "x".repeat(80)).getBytes(StandardCharsets.US_ASCII);
    }

    /** The numbers of the lines in the log, checking that every line is whole. */
    private static List<Integer> numbers(Path dir) {
        List<Integer> numbers = new ArrayList<>();
        for (String line : LogDirs.lines(LogDirs.all(dir))) {
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), "a whole line: '" + line + "'");
            numbers.add(Integer.parseInt(m.group(1)));
        }
        return numbers;
    }

    private static <T extends LogEvent> List<T> only(List<LogEvent> events, Class<T> kind) {
        return events.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    @Test
    void deletesTheOldestRotatedFilesThenDropsTheOldestLinesAndNeverThrows() throws IOException {
        Path dir = mount.resolve("log");
        Files.createDirectories(dir);
        LogDirs.write(dir.resolve("config"), "s20000\nn100\nN2\n");
        LogOptions options = LogOptions.DEFAULT;
        int next = 0;
        int lastWhileFull;
        try (LogWriter writer = LogWriter.open(dir, options, clock, events::add)) {
            // 2 MB through 256 KiB: rotated files must go, oldest first, down to N.
            for (; next < 20_000; next++) writer.append(line(next), 0, line(next).length);
            List<Integer> kept = numbers(dir);
            assertEquals(next - 1, kept.getLast(), "the newest line is kept");
            for (int i = 1; i < kept.size(); i++) assertEquals(kept.get(i - 1) + 1, kept.get(i), "no gap");
            List<LogEvent.RemovedForSpace> removed = only(events, LogEvent.RemovedForSpace.class);
            assertTrue(removed.size() > 50, removed.size() + " removed");
            for (int i = 1; i < removed.size(); i++) {
                assertTrue(removed.get(i - 1).file().compareTo(removed.get(i).file()) < 0, "oldest first");
            }
            assertTrue(LogDirs.rotated(dir).size() >= 2, "N files are kept");
            assertEquals(List.of(), only(events, LogEvent.Dropped.class));

            // Keep every rotated file (N = n), and fill what is left: lines must be dropped instead.
            int rotated = LogDirs.rotated(dir).size();
            LogDirs.write(dir.resolve("config"), "s20000\nn100\nN100\n");
            writer.reloadConfig();
            Path filler = mount.resolve("filler");
            try (OutputStream out = new FileOutputStream(filler.toFile())) {
                byte[] block = new byte[4096];
                while (true) out.write(block);
            } catch (IOException full) {
                // The disk is full.
            }
            int beforeFull = next;
            long appended = 0;
            for (; next < beforeFull + 50_000; next++) {
                writer.append(line(next), 0, line(next).length);
                appended += line(next).length + options.timestamps().width();
                if (next % 1000 == 0) clock.advanceSeconds(1);
            }
            assertEquals(1, only(events, LogEvent.WriteFailing.class).size());
            assertTrue(writer.nextDeadline() < Long.MAX_VALUE, "a retry is scheduled");
            List<LogEvent.Dropped> dropped = only(events, LogEvent.Dropped.class);
            assertTrue(dropped.size() >= 2 && dropped.size() < 20, dropped.size() + " reports, at most one per 10 s");
            assertEquals("disk full", dropped.getFirst().reason());

            assertEquals(rotated, LogDirs.rotated(dir).size(), "no rotated file was deleted below N");
            // Make room again: the filler goes, and N goes back to 2 so that rotated files may go at the retry.
            Files.delete(filler);
            LogDirs.write(dir.resolve("config"), "s20000\nn100\nN2\n");
            writer.reloadConfig();
            clock.advanceSeconds(1);
            writer.onDeadline();
            List<LogEvent.WritingAgain> again = only(events, LogEvent.WritingAgain.class);
            assertEquals(1, again.size(), events.getLast().toString());
            long droppedBytes = dropped.stream().mapToLong(LogEvent.Dropped::bytes).sum()
                    + again.getFirst().droppedBytes();
            // Memory is bounded: all but a buffer's worth (and what fit in the last pages) was dropped.
            assertTrue(droppedBytes > appended - options.bufferSize() - 8192, droppedBytes + " of " + appended);
            lastWhileFull = next - 1;
            for (int end = next + 10; next < end; next++) writer.append(line(next), 0, line(next).length);
        }
        List<Integer> kept = numbers(dir);
        assertEquals(next - 1, kept.getLast(), "the newest line is kept");
        assertTrue(kept.contains(lastWhileFull), "the newest lines held in memory were written once there was room");
    }
}
