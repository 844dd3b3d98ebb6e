package vigil.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Looking at log directories in tests. */
final class LogDirs {
    private LogDirs() {}

    /** A clock the test sets: starts at 2026-11-21T13:00:00Z. */
    static final class TestClock implements WallClock {
        final AtomicLong nanos = new AtomicLong(1_795_266_000_000_000_000L);

        @Override
        public long epochNanos() {
            return nanos.get();
        }

        void advanceSeconds(double seconds) {
            nanos.addAndGet((long) (seconds * 1e9));
        }
    }

    static List<String> rotated(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("@")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file's content, oldest rotated first, then current. */
    static String all(Path dir) {
        StringBuilder text = new StringBuilder();
        for (String name : rotated(dir)) text.append(read(dir.resolve(name)));
        if (Files.exists(dir.resolve("current"))) text.append(read(dir.resolve("current")));
        return text.toString();
    }

    /**
     * How many lines of {@code text} are whole: a follower copies what it reads, which may end part way through a
     * line still being written (a writer's buffer flushed mid-line, a write spanning pages), so a count of lines
     * that includes the unfinished last one can be reached before that line is.
     */
    static long wholeLines(String text) {
        return text.chars().filter(c -> c == '\n').count();
    }

    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (lines.getLast().isEmpty()) lines.removeLast();
        return lines;
    }

    static String mode(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
