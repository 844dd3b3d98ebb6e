package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogReaderTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path tmp;
    private final LogDirs.TestClock clock = new LogDirs.TestClock();

    private Path dir() {
        return tmp.resolve("log");
    }

    /** Lines "line N", one a second, through a writer that rotates every 10 lines (s = 10 stamped lines). */
    private long writeLines(TimestampFormat format, int count) throws IOException {
        Files.createDirectories(dir());
        long lineBytes = format.width() + "line 00\n".length();
        LogDirs.write(dir().resolve("config"), "s" + lineBytes * 10 + "\nn0\n");
        long start = clock.epochNanos();
        try (LogWriter writer = LogWriter.open(dir(), LogOptions.DEFAULT.withTimestamps(format), clock, e -> {})) {
            for (int i = 0; i < count; i++) {
                byte[] line = String.format("line %02d\n", i).getBytes(StandardCharsets.US_ASCII);
                writer.append(line, 0, line.length);
                clock.advanceSeconds(1);
            }
        }
        return start;
    }

    private String print(LogQuery query) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogReader.print(dir(), query, out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static List<String> texts(String printed) {
        return LogDirs.lines(printed).stream().map(line -> line.substring(line.indexOf("line "))).toList();
    }

    private static List<String> range(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("line %02d", i)).toList();
    }

    @Test
    void printsRotatedFilesInOrderThenCurrent() throws IOException {
        writeLines(TimestampFormat.ISO, 35);
        assertEquals(3, LogDirs.rotated(dir()).size());
        assertEquals(LogDirs.all(dir()), print(LogQuery.ALL));
        assertEquals(range(0, 35), texts(print(LogQuery.ALL)));
    }

    @Test
    void printsTheLastLinesAcrossFiles() throws IOException {
        writeLines(TimestampFormat.ISO, 35);
        assertEquals(range(22, 35), texts(print(new LogQuery(13, Long.MIN_VALUE))));
        assertEquals(range(25, 35), texts(print(new LogQuery(10, Long.MIN_VALUE))));
        assertEquals(range(34, 35), texts(print(new LogQuery(1, Long.MIN_VALUE))));
        assertEquals(range(0, 35), texts(print(new LogQuery(1000, Long.MIN_VALUE))));
        assertEquals("", print(new LogQuery(0, Long.MIN_VALUE)));
    }

    @Test
    void countsALastLineWithoutNewlineAsALine() throws IOException {
        Files.createDirectories(dir());
        LogDirs.write(dir().resolve(RotatedNames.name(clock.epochNanos(), 's')), "a\nb\n");
        LogDirs.write(dir().resolve("current"), "c\nd");
        assertEquals("d", print(new LogQuery(1, Long.MIN_VALUE)));
        assertEquals("b\nc\nd", print(new LogQuery(3, Long.MIN_VALUE)));
        LogDirs.write(dir().resolve("current"), "");
        assertEquals("b\n", print(new LogQuery(1, Long.MIN_VALUE)));
    }

    @Test
    void selectsBySinceWithEitherStamp() throws IOException {
        for (TimestampFormat format : List.of(TimestampFormat.ISO, TimestampFormat.TAI64N)) {
            long start = writeLines(format, 35);
            assertEquals(range(17, 35), texts(print(new LogQuery(-1, start + 17 * SECOND))), format.flag());
            assertEquals(range(17, 35), texts(print(new LogQuery(-1, start + 16 * SECOND + 1))), format.flag());
            assertEquals(range(0, 35), texts(print(new LogQuery(-1, start - SECOND))), format.flag());
            assertEquals(List.of(), texts(print(new LogQuery(-1, start + 99 * SECOND))), format.flag());
            assertEquals(range(30, 35), texts(print(new LogQuery(5, start + 17 * SECOND))), format.flag());
            assertEquals(range(31, 35), texts(print(new LogQuery(40, start + 31 * SECOND))), format.flag());
            deleteDir();
        }
    }

    @Test
    void selectsUnstampedLogsByTheirFilesRotationTimes() throws IOException {
        long start = writeLines(TimestampFormat.NONE, 35);
        // Files were rotated at 10 s, 20 s and 30 s: since 15 s skips the first file only.
        assertEquals(range(10, 35), texts(print(new LogQuery(-1, start + 15 * SECOND))));
        assertEquals(range(30, 35), texts(print(new LogQuery(-1, start + 99 * SECOND))));
    }

    @Test
    void saysSoWhenThereIsNoLogDirectory() {
        assertThrows(NoSuchFileException.class, () -> print(LogQuery.ALL));
    }

    private void deleteDir() throws IOException {
        try (var entries = Files.list(dir())) {
            for (Path entry : entries.collect(Collectors.toList())) Files.delete(entry);
        }
        Files.delete(dir());
    }
}
