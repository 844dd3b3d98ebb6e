package vigil.log;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.os.RegularFiles;

/**
 * {@code vigil logs -f}: prints a log's selected lines, then everything written to it afterwards, through any number
 * of rotations, each byte once and in order.
 *
 * <p>It waits on inotify, not on a timer: {@link #fd()} becomes readable when anything in the directory changes, and
 * {@link #onReadable()} then catches up. Events only wake it; what to read is worked out from the directory itself,
 * so coalesced or overflowed events lose nothing. The file being read is known by its inode: when {@code current}
 * names another file, the one held was rotated (svlogd and Vigil write before they rename, so it is complete once
 * that is seen), and the rotated files after it by name come next, then the new {@code current}.
 */
public final class LogFollower implements AutoCloseable {
    private static final int WATCHED = Inotify.IN_MODIFY | Inotify.IN_CREATE | Inotify.IN_MOVED_FROM
            | Inotify.IN_MOVED_TO | Inotify.IN_DELETE | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF;

    private final Path dir;
    private final Path currentPath;
    private final Inotify inotify;
    private final OutputStream out;
    private final FileReads reads = new FileReads();
    /** The file being read, or -1. */
    private int fd = -1;
    private RegularFiles.Status status;
    private long offset;
    /** The newest rotated file read to its end (or known to precede what is read); "" if none. */
    private String lastDone;
    private boolean gone;

    private LogFollower(Path dir, Inotify inotify, OutputStream out) {
        this.dir = dir;
        this.currentPath = dir.resolve("current");
        this.inotify = inotify;
        this.out = out;
    }

    /**
     * Prints what {@code query} selects from {@code dir} to {@code out} and gets ready to follow. The watch is set
     * before the files are read, so nothing written in between is missed.
     */
    public static LogFollower start(Path dir, LogQuery query, OutputStream out) throws IOException {
        LogReader.requireDirectory(dir);
        Inotify inotify = Inotify.create();
        LogFollower follower = new LogFollower(dir, inotify, out);
        try {
            inotify.addWatch(dir, WATCHED | Inotify.IN_ONLYDIR);
            try (LogSnapshot snapshot = LogSnapshot.take(dir)) {
                long printed = snapshot.print(query, out);
                LogSnapshot.Opened current = snapshot.takeCurrent();
                if (current != null) {
                    follower.fd = current.fd();
                    follower.status = current.status();
                    follower.offset = printed;
                }
                follower.lastDone = snapshot.newestRotated();
            }
            follower.catchUp();
            return follower;
        } catch (IOException | RuntimeException e) {
            follower.close();
            throw e;
        }
    }

    /** Readable when the directory changed: then call {@link #onReadable()}. */
    public int fd() {
        return inotify.fd();
    }

    /**
     * Prints whatever was written since the last call. Returns false once the directory has been deleted or moved
     * away: nothing more will come.
     */
    public boolean onReadable() throws IOException {
        List<Inotify.Event> events = inotify.readEvents();
        for (Inotify.Event event : events) {
            if (event.is(Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF | Inotify.IN_IGNORED)) gone = true;
        }
        catchUp();
        return !gone;
    }

    private void catchUp() throws IOException {
        while (true) {
            if (fd >= 0) {
                offset = reads.copy(fd, offset, out);
                RegularFiles.Status current = RegularFiles.status(currentPath);
                if (current != null && current.sameFile(status)) break;
                // Renamed (rotated) or deleted. Either way nothing more is written to it: read what is left.
                String name = rotatedName(status);
                offset = reads.copy(fd, offset, out);
                closeFile();
                if (name != null) lastDone = name;
                continue;
            }
            String next = firstRotatedAfter(lastDone);
            if (next != null) {
                // Deleted before it could be opened (the n limit): the next listing no longer has it.
                if (!openFile(dir.resolve(next))) continue;
                continue;
            }
            if (RegularFiles.status(currentPath) == null || !openFile(currentPath)) break;
            // If current was rotated between the listing and the open, read the rotated files first.
            if (firstRotatedAfter(lastDone) != null) closeFile();
        }
        out.flush();
    }

    private boolean openFile(Path path) throws IOException {
        try {
            fd = Fds.open(path, Fds.O_RDONLY, 0);
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT) return false;
            throw e;
        }
        status = RegularFiles.status(fd);
        offset = 0;
        return true;
    }

    private void closeFile() {
        Fds.close(fd);
        fd = -1;
    }

    /** The rotated name (after {@link #lastDone}) that {@code file} now has, or null if it has none. */
    private String rotatedName(RegularFiles.Status file) throws IOException {
        for (String name : RotatedNames.list(dir)) {
            if (name.compareTo(lastDone) <= 0) continue;
            RegularFiles.Status candidate = RegularFiles.status(dir.resolve(name));
            if (candidate != null && candidate.sameFile(file)) return name;
        }
        return null;
    }

    private String firstRotatedAfter(String name) throws IOException {
        for (String candidate : RotatedNames.list(dir)) {
            if (candidate.compareTo(name) > 0) return candidate;
        }
        return null;
    }

    @Override
    public void close() {
        if (fd >= 0) closeFile();
        reads.close();
        inotify.close();
    }
}
