package vigil.log;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.RegularFiles;

/**
 * A log directory's files opened together, oldest first, so that they are one consistent history even while a
 * writer rotates: no rotated file is missing between the ones held and the {@code current} held.
 */
final class LogSnapshot implements AutoCloseable {
    private static final int ATTEMPTS = 100;

    /** One opened file; {@code name} is "current" or a rotated name. */
    record Opened(String name, int fd, RegularFiles.Status status) {}

    private final List<Opened> files;
    /** The newest rotated name held, or "" if none: a follower goes on with rotated files after it. */
    private final String newestRotated;
    private boolean currentHandedOver;

    private LogSnapshot(List<Opened> files, String newestRotated) {
        this.files = files;
        this.newestRotated = newestRotated;
    }

    /**
     * Opens the files of {@code dir}. If a rotation happens while it does so (a new rotated name appears, or
     * {@code current} is another file by the time it is opened), it starts again.
     */
    static LogSnapshot take(Path dir) throws IOException {
        Path currentPath = dir.resolve("current");
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            List<String> names = RotatedNames.list(dir);
            RegularFiles.Status listed = RegularFiles.status(currentPath);
            List<Opened> files = new ArrayList<>();
            boolean consistent = true;
            try {
                for (String name : names) {
                    Opened opened = open(dir.resolve(name), name);
                    // A rotated file deleted since the listing was the oldest: the history still has no gap.
                    if (opened != null) files.add(opened);
                }
                if (listed != null) {
                    Opened current = open(currentPath, "current");
                    files.add(current);
                    consistent = current != null && current.status.sameFile(listed);
                }
                if (consistent) {
                    var before = new HashSet<>(names);
                    consistent = before.containsAll(RotatedNames.list(dir));
                }
            } catch (IOException | RuntimeException e) {
                closeAll(files);
                throw e;
            }
            if (consistent) return new LogSnapshot(files, names.isEmpty() ? "" : names.getLast());
            closeAll(files);
        }
        throw new IOException(dir + " is rotating too fast to be read");
    }

    private static Opened open(Path path, String name) throws IOException {
        int fd;
        try {
            fd = Fds.open(path, Fds.O_RDONLY, 0);
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
        try {
            return new Opened(name, fd, RegularFiles.status(fd));
        } catch (IOException | RuntimeException e) {
            Fds.close(fd);
            throw e;
        }
    }

    private static void closeAll(List<Opened> files) {
        for (Opened file : files) {
            if (file != null) Fds.close(file.fd);
        }
    }

    String newestRotated() {
        return newestRotated;
    }

    /** The opened {@code current}, if the directory had one; the caller then owns (and closes) its fd. */
    Opened takeCurrent() {
        if (files.isEmpty() || !files.getLast().name.equals("current")) return null;
        currentHandedOver = true;
        return files.getLast();
    }

    /**
     * Prints the lines {@code query} selects to {@code out}, reading {@code current} to its end as it is by then.
     * Returns how far {@code current} was read (0 if there is none).
     */
    long print(LogQuery query, OutputStream out) throws IOException {
        try (FileReads reads = new FileReads()) {
            Position start = later(sinceStart(query.since(), reads), tailStart(query.lines(), reads));
            long end = 0;
            for (int i = start.file; i < files.size(); i++) {
                end = reads.copy(files.get(i).fd, i == start.file ? start.offset : 0, out);
            }
            out.flush();
            // When there is a current, the start is never past it: current is always read to its end.
            return files.isEmpty() || !files.getLast().name.equals("current") ? 0 : end;
        }
    }

    /** A place in the history: a file's index, a byte offset in it. */
    private record Position(int file, long offset) {}

    private static Position later(Position a, Position b) {
        return a.file > b.file || a.file == b.file && a.offset >= b.offset ? a : b;
    }

    private Position sinceStart(long since, FileReads reads) throws IOException {
        if (since == Long.MIN_VALUE) return new Position(0, 0);
        Position end = new Position(files.size(), 0);
        for (int i = 0; i < files.size(); i++) {
            Opened file = files.get(i);
            // A rotated file holds nothing later than its rotation, which its name records.
            if (!file.name.equals("current") && RotatedNames.time(file.name) < since) continue;
            Scan scan = firstLineSince(file.fd, since, reads);
            if (scan.found) return new Position(i, scan.offset);
            end = new Position(i, scan.offset);
        }
        // Nothing is that recent: start after the last byte looked at, so that a follower prints only what comes.
        return end;
    }

    /** The offset of the first line found, or of the end of the file if none was. */
    private record Scan(boolean found, long offset) {}

    /** Finds the first line stamped at or after {@code since}, or not stamped. */
    private static Scan firstLineSince(int fd, long since, FileReads reads) throws IOException {
        byte[] buf = reads.block;
        long base = 0;
        int at = 0, length = 0;
        boolean lineStart = true;
        boolean eof = false;
        while (true) {
            // Keep at least a stamp's worth after a line start in the block, or everything up to the end.
            if (length - at < 64 && !eof) {
                System.arraycopy(buf, at, buf, 0, length - at);
                base += at;
                length -= at;
                at = 0;
                int n = reads.read(fd, base + length, buf, length, buf.length - length);
                if (n == 0) eof = true;
                length += n;
            }
            if (at >= length) return new Scan(false, base + length);
            if (lineStart) {
                long time = Timestamps.parse(buf, at, Math.min(length - at, 64));
                if (time == Timestamps.NONE || time >= since) return new Scan(true, base + at);
            }
            int newline = indexOf(buf, (byte) '\n', at, length);
            lineStart = newline >= 0;
            at = newline >= 0 ? newline + 1 : length;
        }
    }

    private static int indexOf(byte[] buf, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) return i;
        }
        return -1;
    }

    /** Where the last {@code lines} lines start; a last line without a newline counts as one. */
    private Position tailStart(int lines, FileReads reads) throws IOException {
        if (lines < 0) return new Position(0, 0);
        if (lines == 0) {
            return files.isEmpty() ? new Position(0, 0) : new Position(files.size() - 1, files.getLast().status.size());
        }
        byte[] buf = reads.block;
        int found = 0;
        boolean sawLastByte = false;
        for (int i = files.size() - 1; i >= 0; i--) {
            int fd = files.get(i).fd;
            long end = files.get(i).status.size();
            while (end > 0) {
                int length = (int) Math.min(end, buf.length);
                long blockStart = end - length;
                int n = reads.read(fd, blockStart, buf, 0, length);
                if (n < length) throw new IOException("log file " + files.get(i).name + " shrank while being read");
                for (int j = length - 1; j >= 0; j--) {
                    boolean last = !sawLastByte;
                    sawLastByte = true;
                    // The newline ending the very last line ends it, it does not start it.
                    if (buf[j] != '\n' || last) continue;
                    if (++found == lines) return new Position(i, blockStart + j + 1);
                }
                end = blockStart;
            }
        }
        return new Position(0, 0);
    }

    @Override
    public void close() {
        for (Opened file : files) {
            if (!(currentHandedOver && file == files.getLast())) Fds.close(file.fd);
        }
    }
}
