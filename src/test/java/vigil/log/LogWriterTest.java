package vigil.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogWriterTest {
    private static final String T0 = "2026-11-21T13:00:00.000000Z ";
    private static final LogOptions NO_STAMPS = LogOptions.DEFAULT.withTimestamps(TimestampFormat.NONE);

    @TempDir
    Path tmp;
    private final LogDirs.TestClock clock = new LogDirs.TestClock();
    private final List<LogEvent> events = new ArrayList<>();

    private Path dir() {
        return tmp.resolve("log");
    }

    private LogWriter open(LogOptions options) throws IOException {
        return LogWriter.open(dir(), options, clock, events::add);
    }

    private LogWriter openWithConfig(LogOptions options, String config) throws IOException {
        Files.createDirectories(dir());
        LogDirs.write(dir().resolve("config"), config);
        return open(options);
    }

    private static void append(LogWriter writer, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        writer.append(bytes, 0, bytes.length);
    }

    private String current() {
        return LogDirs.read(dir().resolve("current"));
    }

    @Test
    void countsTheLinesItEndsForTheMetrics() throws IOException {
        try (LogWriter writer = open(NO_STAMPS)) {
            append(writer, "one\ntwo\nthr");
            assertEquals(2, writer.linesEnded());
            append(writer, "ee\n");
            assertEquals(3, writer.linesEnded());
            append(writer, "last words");
            writer.flushPartial();
            assertEquals(4, writer.linesEnded());
        }
    }

    @Test
    void stampsEachLineWithTheTimeOfTheChunkItsFirstByteCameIn() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "one\ntw");
            clock.advanceSeconds(1.5);
            append(writer, "o\nthree\n");
            assertEquals(T0 + "one\n" + T0 + "two\n2026-11-21T13:00:01.500000Z three\n", current());
        }
    }

    @Test
    void writesTai64nStampsLikeSvlogdAndNoneAtAll() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT.withTimestamps(TimestampFormat.TAI64N))) {
            append(writer, "x\n");
            assertEquals("@400000006b0195da00000000 x\n", current());
        }
        try (LogWriter writer = open(NO_STAMPS)) {
            append(writer, "y\n");
            assertEquals("@400000006b0195da00000000 x\ny\n", current());
        }
    }

    @Test
    void closingForAReexecGivesThePartialLineBackInsteadOfEndingIt() throws IOException {
        LogWriter writer = open(LogOptions.DEFAULT);
        append(writer, "one\ntwo\nthr");
        assertArrayEquals("thr".getBytes(StandardCharsets.US_ASCII), writer.closeKeepingPartial());
        assertEquals(T0 + "one\n" + T0 + "two\n", current(), "the whole lines are written, the partial one not");
        // The next writer of the directory (the new daemon) logs it first, and the rest of the line after it.
        try (LogWriter next = open(LogOptions.DEFAULT)) {
            append(next, "thr");
            append(next, "ee\n");
            assertEquals(T0 + "one\n" + T0 + "two\n" + T0 + "three\n", current());
        }
        LogWriter idle = open(NO_STAMPS);
        append(idle, "four\n");
        assertEquals(0, idle.closeKeepingPartial().length, "no line in progress: nothing to give back");
    }

    @Test
    void holdsAPartialLineUntilItsNewlineOrTheServiceEnds() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "abc");
            assertEquals("", current());
            clock.advanceSeconds(1);
            append(writer, "def");
            assertEquals("", current());
            writer.flushPartial();
            assertEquals(T0 + "abcdef\n", current());
            append(writer, "next\nlast words");
        }
        String next = "2026-11-21T13:00:01.000000Z ";
        assertEquals(T0 + "abcdef\n" + next + "next\n" + next + "last words\n", current());
    }

    @Test
    void splitsALongLineIntoMarkedPiecesAndNeverDropsAByte() throws IOException {
        LogOptions options = new LogOptions(TimestampFormat.NONE, 10, LogOptions.minimumBuffer(10));
        try (LogWriter writer = open(options)) {
            append(writer, "0123456789abcdefghijKLMNOPQRSTUVWXYZ\n");
            append(writer, "exactly10!\n");
            append(writer, "exactly10!");
            append(writer, "\nexactly10!");
            append(writer, "more\n");
        }
        assertEquals("""
                0123456789
                ...abcdefg
                ...hijKLMN
                ...OPQRSTU
                ...VWXYZ
                exactly10!
                exactly10!
                exactly10!
                ...more
                """, current());
    }

    @Test
    void chunksOfAnySizeGiveTheSameLines() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        StringBuilder input = new StringBuilder();
        for (int line = 0; line < 3000; line++) {
            int length = random.nextInt(10) == 0 ? random.nextInt(100, 400) : random.nextInt(0, 120);
            for (int i = 0; i < length; i++) input.append((char) random.nextInt(' ', '~' + 1));
            input.append('\n');
        }
        input.append("unterminated");
        byte[] bytes = input.toString().getBytes(StandardCharsets.ISO_8859_1);
        LogOptions options = new LogOptions(TimestampFormat.ISO, 100, LogOptions.minimumBuffer(100));
        try (LogWriter writer = openWithConfig(options, "s0\n")) {
            for (int at = 0; at < bytes.length; ) {
                int n = Math.min(bytes.length - at, random.nextInt(1, 700));
                writer.append(bytes, at, n);
                at += n;
            }
        }
        assertEquals(expectedLines(input.toString(), 100, T0), current());
    }

    /** The model: every line stamped, long ones cut into pieces of lineMax bytes, markers included. */
    private static String expectedLines(String input, int lineMax, String stamp) {
        StringBuilder out = new StringBuilder();
        for (String line : input.split("\n", -1)) {
            if (line.isEmpty() && out.length() > 0 && input.endsWith("\n")) continue;
            int piece = Math.min(line.length(), lineMax);
            out.append(stamp).append(line, 0, piece).append('\n');
            for (int at = piece; at < line.length(); at += lineMax - 3) {
                int end = Math.min(line.length(), at + lineMax - 3);
                out.append(stamp).append("...").append(line, at, end).append('\n');
            }
        }
        return out.toString();
    }

    @Test
    void marksCurrentCompleteOnlyWhenClosed() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "x\n");
            assertEquals("rw-r-----", LogDirs.mode(dir().resolve("current")));
            assertEquals("rw-------", LogDirs.mode(dir().resolve("lock")));
        }
        assertEquals("rwxr-----", LogDirs.mode(dir().resolve("current")));
    }

    @Test
    void rotatesBeforeALineWouldTakeCurrentPastTheSizeAndKeepsNFiles() throws IOException {
        String line = "x".repeat(49) + "\n";
        try (LogWriter writer = openWithConfig(NO_STAMPS, "s200\nn3\n")) {
            for (int i = 0; i < 20; i++) append(writer, String.format("%02d", i) + line.substring(2));
        }
        List<String> rotated = LogDirs.rotated(dir());
        assertEquals(3, rotated.size(), rotated.toString());
        for (String name : rotated) {
            assertTrue(name.matches("@[0-9a-f]{24}\\.s"), name);
            assertEquals(200, Files.size(dir().resolve(name)));
            assertEquals("rwxr-----", LogDirs.mode(dir().resolve(name)));
        }
        assertEquals(rotated.stream().sorted().distinct().toList(), rotated);
        List<String> lines = LogDirs.lines(LogDirs.all(dir()));
        assertEquals(16, lines.size());
        for (int i = 0; i < 16; i++) assertTrue(lines.get(i).startsWith(String.format("%02d", i + 4)), lines.get(i));
        assertEquals(4, LogDirs.lines(current()).size());
    }

    @Test
    void keepsEveryRotatedFileWhenNIsZeroAndNeverRotatesWhenSIsZero() throws IOException {
        try (LogWriter writer = openWithConfig(NO_STAMPS, "s10\nn0\n")) {
            for (int i = 0; i < 15; i++) append(writer, "line " + i + "\n");
        }
        assertEquals(14, LogDirs.rotated(dir()).size());
        LogDirs.write(dir().resolve("config"), "s0\n");
        try (LogWriter writer = open(NO_STAMPS)) {
            for (int i = 0; i < 1000; i++) append(writer, "line " + i + "\n");
        }
        assertEquals(14, LogDirs.rotated(dir()).size());
    }

    @Test
    void namesRotatedFilesLaterThanAnyBeforeEvenIfTheClockGoesBack() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "a\n");
            writer.rotate();
            clock.advanceSeconds(-3600);
            append(writer, "b\n");
            writer.rotate();
        }
        List<String> rotated = LogDirs.rotated(dir());
        assertEquals(2, rotated.size());
        assertTrue(rotated.get(0).compareTo(rotated.get(1)) < 0);
        assertEquals("@400000006b0195da00000000.s", rotated.get(0), "named by the clock at rotation");
        assertTrue(LogDirs.read(dir().resolve(rotated.get(1))).endsWith(" b\n"));
    }

    @Test
    void rotatesOnlyANonEmptyCurrentWhenAsked() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            writer.rotate();
            assertEquals(List.of(), LogDirs.rotated(dir()));
            append(writer, "partial");
            writer.rotate();
            assertEquals(List.of(), LogDirs.rotated(dir()), "a line still coming in is not in current yet");
            append(writer, " line\n");
            writer.rotate();
            assertEquals(1, LogDirs.rotated(dir()).size());
            assertEquals("", current());
        }
    }

    @Test
    void rotatesByAgeAtTheDeadlineItGivesTheLoop() throws IOException {
        try (LogWriter writer = openWithConfig(LogOptions.DEFAULT, "t10\n")) {
            long start = clock.epochNanos();
            assertEquals(start + 10_000_000_000L, writer.nextDeadline());
            append(writer, "a\n");
            clock.advanceSeconds(9.9);
            writer.onDeadline();
            assertEquals(0, LogDirs.rotated(dir()).size(), "not yet due");
            clock.advanceSeconds(0.1);
            writer.onDeadline();
            assertEquals(1, LogDirs.rotated(dir()).size());
            assertEquals(clock.epochNanos() + 10_000_000_000L, writer.nextDeadline());
            clock.advanceSeconds(10);
            writer.onDeadline();
            assertEquals(1, LogDirs.rotated(dir()).size(), "an empty current is not rotated");
            append(writer, "b\n");
            clock.advanceSeconds(10);
            append(writer, "c\n");
            assertEquals(2, LogDirs.rotated(dir()).size(), "a write after the deadline rotates first");
            assertTrue(current().endsWith(" c\n") && !current().contains(" b\n"));
        }
        try (LogWriter writer = openWithConfig(LogOptions.DEFAULT, "")) {
            assertEquals(Long.MAX_VALUE, writer.nextDeadline());
        }
    }

    @Test
    void keepsACurrentThatWasNotClosedCleanlyAsUnfinished() throws IOException {
        Files.createDirectories(dir());
        Path current = dir().resolve("current");
        LogDirs.write(current, "crashed mid-write\n");
        Files.setPosixFilePermissions(current, PosixFilePermissions.fromString("rw-r--r--"));
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "new\n");
        }
        List<String> rotated = LogDirs.rotated(dir());
        assertEquals(1, rotated.size());
        assertTrue(rotated.getFirst().matches("@[0-9a-f]{24}\\.u"), rotated.getFirst());
        assertEquals("crashed mid-write\n", LogDirs.read(dir().resolve(rotated.getFirst())));
        assertEquals(T0 + "new\n", current());
        assertInstanceOf(LogEvent.UnfinishedSaved.class, events.getFirst());

        // A complete current (closed cleanly: u+x) is carried on with.
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            assertEquals("rw-r-----", LogDirs.mode(current));
            append(writer, "more\n");
        }
        assertEquals(1, LogDirs.rotated(dir()).size());
        assertEquals(T0 + "new\n" + T0 + "more\n", current());
    }

    @Test
    void aLockedDirectoryCannotBeOpenedTwice() throws IOException {
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            assertThrows(LogLockedException.class, () -> open(LogOptions.DEFAULT));
            append(writer, "still mine\n");
        }
        try (LogWriter writer = open(LogOptions.DEFAULT)) {
            append(writer, "free again\n");
        }
        assertEquals(2, LogDirs.lines(current()).size());
    }

    @Test
    void reloadingTheConfigAppliesTheNewLimitsAndReportsIgnoredLines() throws IOException {
        try (LogWriter writer = openWithConfig(NO_STAMPS, "n0\n")) {
            for (int i = 0; i < 5; i++) {
                append(writer, i + "\n");
                writer.rotate();
            }
            assertEquals(5, LogDirs.rotated(dir()).size());
            LogDirs.write(dir().resolve("config"), "n2\n!gzip\n");
            writer.reloadConfig();
            assertEquals(2, LogDirs.rotated(dir()).size());
            assertEquals("3\n", LogDirs.read(dir().resolve(LogDirs.rotated(dir()).getFirst())));
        }
        assertEquals(List.of(new LogEvent.ConfigIgnored("!gzip", "processors are not supported by Vigil's logger")),
                events);
    }

    @Test
    void refusesToWorkAfterClose() throws IOException {
        LogWriter writer = open(LogOptions.DEFAULT);
        writer.close();
        writer.close();
        assertThrows(IllegalStateException.class, () -> append(writer, "x\n"));
        assertFalse(Files.exists(dir().resolve("config")));
    }

    /** Stands for a file of root's, planted behind a name in a log directory someone else may write. */
    private Path victim() throws IOException {
        Path victim = Files.writeString(tmp.resolve("victim"), "root's\n");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        return victim;
    }

    @Test
    void replacesPlantedSymlinksAndLeavesTheirTargetsAlone() throws IOException {
        Path victim = victim();
        Files.createDirectories(dir());
        Files.createSymbolicLink(dir().resolve("current"), victim);
        Files.createSymbolicLink(dir().resolve("lock"), victim);
        Files.createSymbolicLink(dir().resolve("config"), victim);
        assertThrows(vigil.os.OsException.class, () -> open(NO_STAMPS), "a symlinked config is not read as root");
        Files.delete(dir().resolve("config"));
        try (LogWriter writer = open(NO_STAMPS)) {
            append(writer, "logged\n");
            writer.rotate();
            // Swapped while the log is open: the next rotation leaves the link alone and starts a new current.
            Files.delete(dir().resolve("current"));
            Files.createSymbolicLink(dir().resolve("current"), victim);
            append(writer, "more\n");
            writer.rotate();
            append(writer, "after\n");
        }
        assertEquals("root's\n", Files.readString(victim));
        assertEquals("rw-------", LogDirs.mode(victim));
        assertFalse(Files.isSymbolicLink(dir().resolve("current")));
        assertFalse(Files.isSymbolicLink(dir().resolve("lock")));
        assertEquals("after\n", current());
        assertEquals("logged\n", LogDirs.read(dir().resolve(LogDirs.rotated(dir()).getFirst())));
    }

    @Test
    void refusesADirectoryOfAnotherUser() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(vigil.os.DirFd.effectiveUid() == 0, "needs root");
        Files.createDirectories(dir());
        Files.setAttribute(dir(), "unix:uid", 65534);
        var e = assertThrows(vigil.os.ForeignDirectoryException.class, () -> open(NO_STAMPS));
        assertTrue(e.getMessage().contains(dir() + " belongs to uid 65534"), e.getMessage());
        assertFalse(Files.exists(dir().resolve("lock")), "nothing is written there");
    }

    @Test
    void givesTheFilesToTheOwnerItIsTold() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(vigil.os.DirFd.effectiveUid() == 0, "needs root");
        try (LogWriter writer = LogWriter.open(dir(), NO_STAMPS, clock, new LogOwner(65534, 4), events::add)) {
            append(writer, "x\n");
            assertEquals(65534, Files.getAttribute(dir().resolve("current"), "unix:uid"));
            assertEquals(4, Files.getAttribute(dir().resolve("current"), "unix:gid"));
            assertEquals("rw-r-----", LogDirs.mode(dir().resolve("current")));
        }
    }

    @Test
    void closesToOthersTheFilesAnOlderVersionLeftReadableByAll() throws IOException {
        Files.createDirectories(dir());
        Path old = dir().resolve("@400000006a1f000000000000.s");
        LogDirs.write(old, "old secret\n");
        LogDirs.write(dir().resolve("current"), "older secret\n");
        for (Path file : List.of(old, dir().resolve("current"))) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr--r--"));
        }
        try (LogWriter writer = open(NO_STAMPS)) {
            append(writer, "new\n");
            assertEquals("rw-r-----", LogDirs.mode(dir().resolve("current")));
        }
        for (String name : LogDirs.rotated(dir())) assertEquals("rwxr-----", LogDirs.mode(dir().resolve(name)), name);
        assertEquals(List.of(old.getFileName().toString()), LogDirs.rotated(dir()));
    }
}
