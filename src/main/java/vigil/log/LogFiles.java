package vigil.log;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import vigil.os.DirFd;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.FileSystem;
import vigil.os.IoErrors;
import vigil.os.OsException;

/**
 * The files of one log directory as its one writer keeps them, in svlogd's layout: {@code lock} (held with flock
 * for as long as the directory is open, so svlogd and a second Vigil keep out), {@code current} (mode 0640 while
 * written, 0740 once complete: svlogd's 0644 and 0744 less what others may read, see {@link LogOwner}), and the
 * rotated files (see {@link RotatedNames}).
 *
 * <p>Another user may be able to write the directory (a {@code log-dir} of his choosing, a directory left
 * world-writable), and Vigil writes it as root: every file is reached through the directory's fd, never followed
 * if it is a symlink, replaced if planted, and chmodded and chowned through its own fd ({@link DirFd}). A
 * directory that belongs to another user is refused ({@link vigil.os.ForeignDirectoryException}).
 *
 * <p>Rotation does not fsync: it runs on the event loop, and a log line is no more precious than the service state
 * the kernel writes back on its own schedule.
 */
final class LogFiles implements AutoCloseable {
    /** current while written, and once complete (svlogd's mark: the owner's x bit). */
    static final int OPEN = 0640, COMPLETE = 0740;
    private static final String CURRENT = "current";
    /** svlogd's config is a few short lines; anything much longer is not one. */
    private static final int CONFIG_MAX = 64 * 1024;

    private final Path dir;
    private final DirFd files;
    private final LogOwner owner;
    private final int lockFd;
    private final Consumer<LogEvent> events;
    /** Rotated files, oldest first, as this writer made or found them. */
    private final Deque<String> rotated;
    private LogConfig config;
    /** The time in the newest rotated name: a new name is always later, even if the clock went back. */
    private long newestRotation = Long.MIN_VALUE;
    private int fd = -1;
    private long size;

    private LogFiles(DirFd files, LogOwner owner, int lockFd, LogConfig config, Iterable<String> rotated,
                     Consumer<LogEvent> events) {
        this.dir = files.path();
        this.files = files;
        this.owner = owner;
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
    static LogFiles open(Path dir, long now, LogOwner owner, Consumer<LogEvent> events) throws IOException {
        Files.createDirectories(dir);
        DirFd files = DirFd.open(dir);
        int lockFd = -1;
        try {
            files.checkOwner();
            lockFd = files.openOwnFile("lock", Fds.O_WRONLY | Fds.O_APPEND, 0600);
            if (!FileSystem.flock(lockFd, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) {
                throw new LogLockedException(dir);
            }
            LogConfig.Parsed parsed = readConfig(files);
            parsed.ignored().forEach(events);
            LogFiles log = new LogFiles(files, owner, lockFd, parsed.config(),
                    RotatedNames.list(files.listingPath()), events);
            DirFd.Entry found = files.status(CURRENT);
            log.saveUnfinished(now);
            log.reopen();
            // A current that others may read was left by an older Vigil (0644, 0744) or by svlogd: its rotated
            // files are as open, and are closed too, once. Otherwise they were made as they should be.
            if (found != null && found.isRegular() && (found.permissions() & 0007) != 0) log.closeRotatedToOthers();
            return log;
        } catch (IOException | RuntimeException e) {
            Fds.close(lockFd);
            files.close();
            throw e;
        }
    }

    /** The directory's {@code config}, read through its fd: a symlink there is refused, not read as root. */
    private static LogConfig.Parsed readConfig(DirFd files) throws IOException {
        String text = files.readText("config", CONFIG_MAX);
        return text == null ? new LogConfig.Parsed(LogConfig.DEFAULT, java.util.List.of()) : LogConfig.parse(text);
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
        LogConfig.Parsed parsed = readConfig(files);
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
            if (!currentIsHeld()) {
                // Someone swapped the name for something else: what was written is in the file held, which is
                // not renamed blind; a new current is made where the name was.
                Fds.close(fd);
                fd = -1;
                size = 0;
                events.accept(new LogEvent.RotationFailed(dir.resolve(CURRENT)
                        + " was replaced by someone else; starting a new current"));
                reopen();
                return false;
            }
            DirFd.chmod(fd, COMPLETE);
        } catch (IOException e) {
            events.accept(new LogEvent.RotationFailed(IoErrors.reason(e)));
            return false;
        }
        Fds.close(fd);
        fd = -1;
        try {
            files.rename(CURRENT, name);
        } catch (IOException e) {
            events.accept(new LogEvent.RotationFailed(IoErrors.reason(e)));
            reopen();
            return false;
        }
        remember(name);
        size = 0;
        reopen();
        removeExcess();
        return true;
    }

    /** Gives each rotated file the owner and mode of a complete file of this log (see {@link LogOwner}). */
    private void closeRotatedToOthers() {
        for (String name : rotated) {
            int file;
            try {
                file = files.open(name, Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            } catch (OsException e) {
                continue;
            }
            try {
                DirFd.Entry status = files.status(file);
                if (!status.isRegular() || status.links() != 1) continue;
                if (owner.uid() >= 0 || owner.gid() >= 0) DirFd.chown(file, owner.uid(), owner.gid());
                DirFd.chmod(file, COMPLETE);
            } catch (OsException e) {
                // Left as it was: the log itself is unharmed.
            } finally {
                Fds.close(file);
            }
        }
    }

    /** Whether the name {@code current} still leads to the file this writer holds. */
    private boolean currentIsHeld() throws OsException {
        DirFd.Entry held = files.status(fd);
        DirFd.Entry named = files.status(CURRENT);
        return named != null && named.sameFile(held);
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

    /** Marks {@code current} complete (0740) and releases the lock. */
    @Override
    public void close() {
        if (fd >= 0) {
            try {
                DirFd.chmod(fd, COMPLETE);
            } catch (IOException e) {
                // Left 0640, the file reads as unfinished and the next writer keeps it as @….u: nothing is lost.
            }
            Fds.close(fd);
            fd = -1;
        }
        Fds.close(lockFd);
        files.close();
    }

    private void saveUnfinished(long now) throws IOException {
        DirFd.Entry status = files.status(CURRENT);
        // Anything but a plain file of its own is no unfinished log: reopen() replaces it.
        if (status == null || !status.isRegular() || status.links() != 1) return;
        if (status.size() == 0 || (status.mode() & 0100) != 0) return;
        String name = nextName(now, 'u');
        files.rename(CURRENT, name);
        remember(name);
        events.accept(new LogEvent.UnfinishedSaved(name));
        removeExcess();
    }

    /**
     * Opens {@code current} for appending (replacing anything planted there), mode 0640 whatever the umask, owned
     * as {@link #owner} says; 0 or the errno.
     */
    private int reopen() {
        try {
            fd = files.openOwnFile(CURRENT, Fds.O_WRONLY | Fds.O_APPEND, OPEN);
        } catch (OsException e) {
            return e.errno();
        }
        try {
            DirFd.Entry status = files.status(fd);
            size = status.size();
            boolean chown = (owner.uid() >= 0 && status.uid() != owner.uid())
                    || (owner.gid() >= 0 && status.gid() != owner.gid());
            // chown first: it may clear mode bits.
            if (chown) DirFd.chown(fd, owner.uid(), owner.gid());
            if (chown || status.permissions() != OPEN) DirFd.chmod(fd, OPEN);
        } catch (OsException e) {
            // Not knowing its size, or not who reads it, the file is not written: a retry reports the failure.
            Fds.close(fd);
            fd = -1;
            return e.errno();
        }
        return 0;
    }

    private String nextName(long now, char suffix) {
        long time = Math.max(now, newestRotation == Long.MIN_VALUE ? now : newestRotation + 1);
        String name = RotatedNames.name(time, suffix);
        // A file of either suffix with the same stamp would sort ambiguously.
        while (exists(name.substring(0, 26) + 's') || exists(name.substring(0, 26) + 'u')) {
            name = RotatedNames.name(++time, suffix);
        }
        return name;
    }

    private boolean exists(String name) {
        try {
            return files.status(name) != null;
        } catch (OsException e) {
            // Unreadable: taken, as far as a new name goes.
            return true;
        }
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
            files.unlink(name);
        } catch (IOException e) {
            events.accept(new LogEvent.CannotRemove(name, IoErrors.reason(e)));
        }
    }

    static String reason(int errno) {
        return errno == Errno.ENOSPC ? "disk full" : Errno.describe(errno);
    }
}
