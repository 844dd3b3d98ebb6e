package vigil.log;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.function.Consumer;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.FileSystem;
import vigil.os.OsException;
import vigil.os.RegularFiles;

/**
 * The files of one log directory as its one writer keeps them, in svlogd's layout: {@code lock} (held with flock
 * for as long as the directory is open, so svlogd and a second Vigil keep out), {@code current} (mode 0644 while
 * written, 0744 once complete), and the rotated files (see {@link RotatedNames}).
 *
 * <p>Rotation does not fsync: it runs on the event loop, and a log line is no more precious than the service state
 * the kernel writes back on its own schedule.
 */
final class LogFiles implements AutoCloseable {
    private static final Set<PosixFilePermission> OPEN = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> COMPLETE = PosixFilePermissions.fromString("rwxr--r--");

    private final Path dir;
    private final Path current;
    private final int lockFd;
    private final Consumer<LogEvent> events;
    /** Rotated files, oldest first, as this writer made or found them. */
    private final Deque<String> rotated;
    private LogConfig config;
    /** The time in the newest rotated name: a new name is always later, even if the clock went back. */
    private long newestRotation = Long.MIN_VALUE;
    private int fd = -1;
    private long size;

    private LogFiles(Path dir, int lockFd, LogConfig config, Iterable<String> rotated, Consumer<LogEvent> events) {
        this.dir = dir;
        this.current = dir.resolve("current");
        this.lockFd = lockFd;
        this.config = config;
        this.events = events;
        this.rotated = new ArrayDeque<>();
        for (String name : rotated) remember(name);
    }

    /**
     * Creates the directory if need be, locks it, reads its config, keeps a {@code current} that was not closed
     * cleanly as {@code @….u}, and opens {@code current} for appending. A {@code current} that cannot be opened now
     * is retried at each write, which reports the failure.
     *
     * @throws LogLockedException if another logger holds the directory
     * @throws IOException if the directory cannot be made or read
     */
    static LogFiles open(Path dir, long now, Consumer<LogEvent> events) throws IOException {
        Files.createDirectories(dir);
        int lockFd = FileSystem.openLockFile(dir.resolve("lock"), 0600);
        try {
            if (!FileSystem.flock(lockFd, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) {
                throw new LogLockedException(dir);
            }
            LogConfig.Parsed parsed = LogConfig.read(dir);
            parsed.ignored().forEach(events);
            LogFiles files = new LogFiles(dir, lockFd, parsed.config(), RotatedNames.list(dir), events);
            files.saveUnfinished(now);
            files.reopen();
            return files;
        } catch (IOException | RuntimeException e) {
            Fds.close(lockFd);
            throw e;
        }
    }

    LogConfig config() {
        return config;
    }

    /** Bytes in {@code current}. */
    long size() {
        return size;
    }

    /** Re-reads {@code config}, as svlogd does on HUP, and applies the new file count at once. */
    void reloadConfig() throws IOException {
        LogConfig.Parsed parsed = LogConfig.read(dir);
        parsed.ignored().forEach(events);
        config = parsed.config();
        removeExcess();
    }

    /**
     * Appends {@code length} bytes of {@code data} at {@code offset} to {@code current}: the count written (maybe
     * short), or minus the errno. Never throws: the caller keeps the bytes and decides.
     */
    long write(MemorySegment data, long offset, long length) {
        if (fd < 0) {
            int errno = reopen();
            if (errno != 0) return -errno;
        }
        try {
            long n = Fds.write(fd, data.asSlice(offset, length), length);
            size += n;
            return n;
        } catch (OsException e) {
            return -e.errno();
        }
    }

    /**
     * Renames a non-empty {@code current} to {@code @<now>.s} and starts a new one, then deletes the oldest rotated
     * files beyond the config's {@code n}. Reports failures; returns whether it rotated.
     */
    boolean rotate(long now) {
        if (fd < 0 || size == 0) return false;
        String name = nextName(now, 's');
        try {
            Files.setPosixFilePermissions(current, COMPLETE);
        } catch (IOException e) {
            events.accept(new LogEvent.RotationFailed(reason(e)));
            return false;
        }
        Fds.close(fd);
        fd = -1;
        try {
            Files.move(current, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            events.accept(new LogEvent.RotationFailed(reason(e)));
            reopen();
            return false;
        }
        remember(name);
        size = 0;
        reopen();
        removeExcess();
        return true;
    }

    /**
     * The disk is full: deletes the oldest rotated file if more than the config's {@code N} are left. Returns
     * whether there was one to delete.
     */
    boolean removeOldestForSpace() {
        if (rotated.size() <= config.minFiles()) return false;
        String oldest = rotated.removeFirst();
        delete(oldest);
        events.accept(new LogEvent.RemovedForSpace(oldest));
        return true;
    }

    /** Marks {@code current} complete (0744) and releases the lock. */
    @Override
    public void close() {
        if (fd >= 0) {
            try {
                Files.setPosixFilePermissions(current, COMPLETE);
            } catch (IOException e) {
                // Left 0644, the file reads as unfinished and the next writer keeps it as @….u: nothing is lost.
            }
            Fds.close(fd);
            fd = -1;
        }
        Fds.close(lockFd);
    }

    private void saveUnfinished(long now) throws IOException {
        RegularFiles.Status status = RegularFiles.status(current);
        if (status == null || (status.mode() & RegularFiles.Status.S_IFMT) != RegularFiles.Status.S_IFREG) return;
        if (status.size() == 0 || (status.mode() & RegularFiles.Status.S_IXUSR) != 0) return;
        String name = nextName(now, 'u');
        Files.move(current, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        remember(name);
        events.accept(new LogEvent.UnfinishedSaved(name));
        removeExcess();
    }

    /** Opens {@code current} for appending, mode 0644 whatever the umask; 0 or the errno. */
    private int reopen() {
        try {
            fd = Fds.open(current, Fds.O_WRONLY | Fds.O_APPEND | Fds.O_CREAT, 0644);
            size = RegularFiles.status(fd).size();
        } catch (OsException e) {
            return e.errno();
        }
        try {
            Files.setPosixFilePermissions(current, OPEN);
        } catch (IOException e) {
            // The umask's mode instead of 0644 changes who may read the file, not what is logged.
        }
        return 0;
    }

    private String nextName(long now, char suffix) {
        long time = Math.max(now, newestRotation == Long.MIN_VALUE ? now : newestRotation + 1);
        String name = RotatedNames.name(time, suffix);
        // A file of either suffix with the same stamp would sort ambiguously.
        while (Files.exists(dir.resolve(name.substring(0, 26) + 's'))
                || Files.exists(dir.resolve(name.substring(0, 26) + 'u'))) {
            name = RotatedNames.name(++time, suffix);
        }
        return name;
    }

    private void remember(String name) {
        rotated.addLast(name);
        newestRotation = Math.max(newestRotation, RotatedNames.time(name));
    }

    private void removeExcess() {
        while (config.maxFiles() > 0 && rotated.size() > config.maxFiles()) delete(rotated.removeFirst());
    }

    private void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            events.accept(new LogEvent.CannotRemove(name, reason(e)));
        }
    }

    static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) return fs.getReason();
        return e.getMessage();
    }

    static String reason(int errno) {
        return errno == Errno.ENOSPC ? "disk full" : Errno.describe(errno);
    }
}
