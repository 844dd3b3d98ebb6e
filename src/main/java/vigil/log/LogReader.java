package vigil.log;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a log directory (Vigil's or svlogd's, multilog's, s6-log's: the layout is the same) across its rotated
 * files, oldest first, then {@code current}: the bytes as stored, stamps included.
 */
public final class LogReader {
    private LogReader() {}

    /** Prints the lines {@code query} selects to {@code out}. */
    public static void print(Path dir, LogQuery query, OutputStream out) throws IOException {
        requireDirectory(dir);
        try (LogSnapshot snapshot = LogSnapshot.take(dir)) {
            snapshot.print(query, out);
        }
    }

    static void requireDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "no log directory");
    }
}
