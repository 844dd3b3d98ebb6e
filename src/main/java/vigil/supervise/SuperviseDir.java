package vigil.supervise;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import vigil.os.DirFd;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.FileSystem;
import vigil.os.ForeignDirectoryException;
import vigil.os.OsException;

/**
 * One service's runit-compatible {@code supervise/} directory, held open while Vigil supervises the service, so
 * that runit's {@code sv} and daemontools' {@code svok} and {@code svstat} work against Vigil.
 *
 * <ul>
 *   <li>{@code lock} is flock'ed exclusively: a runsv (or second Vigil) on the same directory fails, as we do if
 *       one is already there;
 *   <li>{@code control} is a FIFO held open read-write, so clients' non-blocking opens succeed ("supervisor
 *       running") and a client write never meets ENXIO. {@code ok} is a second name for the same FIFO: clients
 *       only open and close it to ask whether a supervisor runs, which the one open fd answers for both names.
 *       That saves an fd per service (and a file to create); an {@code ok} left by runsv as a FIFO of its own is
 *       opened separately;
 *   <li>{@link #write} publishes {@code pid}, {@code stat} and {@code status}.
 * </ul>
 *
 * Two fds per service in all (three with runsv's separate {@code ok}): the directory is reopened for each write
 * (unless {@link #keepOpen} keeps it) and checked to be the one locked, and every file in it reached through
 * that fd ({@link DirFd}), so someone who may write it cannot lead a write elsewhere. Not thread-safe: one thread at a time.
 */
public final class SuperviseDir implements AutoCloseable {
    private static final FileAttribute<Set<PosixFilePermission>> MODE_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final int MODE_0600 = 0600, MODE_0644 = 0644;
    /** Room for any of the three files: "4194304\n", stat's longest text, status's 20 bytes. */
    private static final int BUFFER_SIZE = 64;

    private Path directory;
    /** The directory's path as a C string, made once (and again if it moves), so a write allocates nothing. */
    private MemorySegment cDirectory;
    /** Which directory it is: the one reopened for each write must be this very one, wherever a path now leads. */
    private final DirFd.Entry identity;
    private final int lockFd;
    private final int controlFd;
    private final int okFd;
    private final MemorySegment buffer;
    /** Each file's name, and the name a replacement is written under before it is renamed over the file. */
    private final MemorySegment pid, pidNew, stat, statNew, status, statusNew;
    /** The pid the {@code pid} file holds, -1 before the first write; runit rewrites it only when it changes. */
    private int writtenPid = -1;
    /** How long each file is now, -1 until this object wrote it: a shorter write must truncate. */
    private long pidLength = -1, statLength = -1, statusLength = -1;
    /** The directory, kept open between writes while its owner's fd budget allows ({@link #keepOpen}); or null. */
    private DirFd held;
    private boolean closed;

    private SuperviseDir(Path directory, DirFd.Entry identity, int lockFd, int controlFd, int okFd) {
        this.identity = identity;
        this.lockFd = lockFd;
        this.controlFd = controlFd;
        this.okFd = okFd;
        // The file names and the buffer are made once, so a write allocates nothing. An automatic arena: the
        // memory lives exactly as long as this object, and closing a shared arena per service would cost a
        // handshake with every JVM thread. runsv's names for the replacements.
        Arena arena = Arena.ofAuto();
        this.buffer = arena.allocate(BUFFER_SIZE);
        this.pid = arena.allocateFrom("pid");
        this.pidNew = arena.allocateFrom("pid.new");
        this.stat = arena.allocateFrom("stat");
        this.statNew = arena.allocateFrom("stat.new");
        this.status = arena.allocateFrom("status");
        this.statusNew = arena.allocateFrom("status.new");
        locate(directory);
    }

    private void locate(Path directory) {
        this.directory = directory;
        this.cDirectory = Arena.ofAuto().allocateFrom(directory.toString());
    }

    /**
     * Takes over {@code serviceDir/supervise} (for a logger, pass the {@code log} directory): creates it (0700) if
     * missing, or the missing target if it is a symlink, as runsv does; creates and locks {@code lock}; creates and
     * opens the {@code control} and {@code ok} FIFOs. Write the first state at once: until then {@code sv} sees
     * whatever an earlier supervisor left.
     *
     * <p>A {@code supervise} symlink is followed only if no one but root (or this process's user) may write the
     * service directory, so no one else can have put it there. A {@code supervise} that belongs to another user is
     * refused ({@link ForeignDirectoryException}).
     *
     * @throws AlreadySupervisedException if another process holds {@code supervise/lock}
     * @throws IOException                if the directory or its files cannot be made or opened
     */
    public static SuperviseDir open(Path serviceDir) throws IOException {
        Path directory = serviceDir.resolve("supervise");
        DirFd files;
        try (DirFd service = DirFd.open(serviceDir)) {
            boolean trusted = service.writableOnlyByUs();
            if (trusted) {
                makeDirectory(directory);
            } else {
                // Not through the path: a symlink planted there is not followed to make its target.
                service.mkdir("supervise", 0700);
            }
            files = service.openDirectory("supervise", trusted);
        } catch (OsException e) {
            if (e.errno() == Errno.ENOTDIR) throw new IOException(directory + ": exists and is not a directory");
            throw e;
        }
        return lockAndOpen(directory, files, serviceDir.toString());
    }

    /**
     * Like {@link #open} for a supervise directory kept somewhere else, e.g. under the runtime directory for a
     * service directory that is read-only: creates {@code directory} (0700) and its missing parents.
     */
    public static SuperviseDir openAt(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) Files.createDirectories(directory, MODE_0700);
        return lockAndOpen(directory, DirFd.open(directory), directory.toString());
    }

    /** Locks and opens the files; {@code files} is closed in the end: no fd on the directory is kept. */
    private static SuperviseDir lockAndOpen(Path directory, DirFd files, String what) throws IOException {
        int lock = -1, control = -1;
        try (files) {
            files.checkOwner();
            lock = files.openOwnFile("lock", Fds.O_WRONLY | Fds.O_APPEND, MODE_0600);
            if (!FileSystem.flock(lock, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) {
                throw new AlreadySupervisedException(what
                        + ": already supervised by another process (supervise/lock is held)");
            }
            files.mkfifo("control", MODE_0600);
            control = files.openFifo("control");
            return new SuperviseDir(directory, files.status(), lock, control, openOk(files));
        } catch (IOException | RuntimeException e) {
            Fds.close(control);
            Fds.close(lock);
            throw e;
        }
    }

    /** -1 if {@code ok} is (or now becomes) a link to the control FIFO; else the fd of runsv's own {@code ok}. */
    private static int openOk(DirFd files) throws IOException {
        try {
            files.link("control", "ok");
            return -1;
        } catch (OsException e) {
            if (e.errno() != Errno.EEXIST) throw e;
        }
        DirFd.Entry ok = files.status("ok"), control = files.status("control");
        if (ok != null && control != null && ok.sameFile(control)) return -1;
        files.mkfifo("ok", MODE_0600);
        return files.openFifo("ok");
    }

    /**
     * The fds an old daemon held for {@code directory} and handed over ({@code daemon-reexec}): the lock is still
     * held (it belongs to the open file, which the exec kept), and the FIFOs kept what clients wrote meanwhile.
     *
     * @param okFd -1 when {@code ok} is the control FIFO's second name
     */
    public static SuperviseDir adopt(Path directory, int lockFd, int controlFd, int okFd) throws IOException {
        // The path must still lead to the directory of the held lock: what is written there from now on is this
        // service's state, nowhere else.
        try (DirFd files = DirFd.open(directory)) {
            DirFd.Entry lock = files.status("lock");
            if (lock == null || !lock.sameFile(files.status(lockFd))) {
                throw new IOException(directory + ": its lock is no longer the one handed over");
            }
            return new SuperviseDir(directory, files.status(), lockFd, controlFd, okFd);
        }
    }

    /** The fds to hand over: lock, control, ok (-1 when ok is the control FIFO). */
    public int[] fds() {
        return new int[] {lockFd, controlFd, okFd};
    }

    /** runit's rule: {@code supervise} may be a symlink, e.g. into /run, and then its target is created. */
    private static void makeDirectory(Path directory) throws IOException {
        if (Files.isDirectory(directory)) return;
        try {
            Files.createDirectory(directory, MODE_0700);
        } catch (FileAlreadyExistsException e) {
            if (Files.isDirectory(directory)) return;
            if (!Files.isSymbolicLink(directory)) {
                throw new IOException(directory + ": exists and is not a directory");
            }
            Path target = directory.resolveSibling(Files.readSymbolicLink(directory));
            // A link into the runtime directory (/run/vigil/supervise/NAME) may point where nothing exists yet
            // after a boot; its parents are made too.
            Path parent = target.getParent();
            if (parent != null && !Files.isDirectory(parent)) Files.createDirectories(parent);
            try {
                Files.createDirectory(target, MODE_0700);
            } catch (FileAlreadyExistsException again) {
                if (!Files.isDirectory(directory)) {
                    throw new IOException(directory + ": is a symbolic link to " + target
                            + ", which exists and is not a directory");
                }
            }
        }
    }

    /** The {@code supervise} directory (through the symlink, if it is one), as it was opened. */
    public Path directory() {
        return directory;
    }

    /** The {@code control} FIFO, non-blocking and never at end-of-file: clients write command bytes to it. */
    public int controlFd() {
        return controlFd;
    }

    /**
     * Publishes the state in runsv's order: {@code pid} (only if the pid changed), then {@code stat}, then
     * {@code status}, each overwritten in place unless something was planted there (see {@link DirFd#overwrite}).
     * No fsync, nothing allocated.
     */
    public void write(SuperviseState s) throws OsException {
        if (closed) throw new IllegalStateException(directory + " is closed");
        DirFd files = held != null ? held : reopen();
        try {
            if (s.pid() != writtenPid) {
                int length = encodePid(s.pid(), buffer);
                files.overwrite(pid, pidNew, buffer, length, pidLength, MODE_0644);
                pidLength = length;
                writtenPid = s.pid();
            }
            int length = StatFile.encode(s, buffer);
            files.overwrite(stat, statNew, buffer, length, statLength, MODE_0644);
            statLength = length;
            StatusFile.encode(s, buffer);
            files.overwrite(status, statusNew, buffer, StatusFile.SIZE, statusLength, MODE_0644);
            statusLength = StatusFile.SIZE;
        } finally {
            if (files != held) files.close();
        }
    }

    /**
     * Keeps the directory open from now on, so a write skips reopening it (an open, a statx and a close): for
     * the services written most often, as many as the caller's fd budget allows.
     */
    public void keepOpen() throws OsException {
        if (closed || held != null) return;
        held = reopen();
    }

    /** Closes the directory kept open, if it is: later writes reopen it each time. */
    public void release() {
        if (held == null) return;
        held.close();
        held = null;
    }

    /**
     * The directory, opened for a write. No fd on it is kept between writes unless {@link #keepOpen} said so:
     * runit's protocol already costs two per service (lock, control), and a third for every service would not fit
     * 5000 services in a 20000-fd limit. Reopening it costs an open, a statx and a close on the supervise
     * writer's thread, off the restart path.
     */
    private DirFd reopen() throws OsException {
        DirFd files = DirFd.reopen(cDirectory, directory, identity);
        if (files == null && relocate()) files = DirFd.reopen(cDirectory, directory, identity);
        if (files == null) {
            throw new OsException("open", directory + " (moved or removed, and not found again)", Errno.ENOENT);
        }
        return files;
    }

    /**
     * The service directory was moved (renamed, or taken out of the scanned tree): finds it again through the lock
     * we hold, as runsv would by working relative to its current directory. False if it cannot be found.
     */
    private boolean relocate() {
        try {
            Path lock = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(lockFd)));
            if (!lock.isAbsolute() || lock.toString().endsWith(" (deleted)")) return false;
            locate(lock.getParent());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** "PID\n", or nothing for pid 0; returns the length. */
    static int encodePid(int value, MemorySegment out) {
        if (value == 0) return 0;
        int digits = 1;
        for (int rest = value / 10; rest > 0; rest /= 10) digits++;
        for (int i = digits - 1, rest = value; i >= 0; i--, rest /= 10) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) ('0' + rest % 10));
        }
        out.set(ValueLayout.JAVA_BYTE, digits, (byte) '\n');
        return digits + 1;
    }

    /**
     * Releases the lock and closes the FIFOs; the files stay. Afterwards {@code svok} reports "not running": the
     * {@code ok} FIFO has no reader, so a client's open fails with ENXIO.
     */
    @Override
    public void close() {
        if (closed) return;
        release();
        closed = true;
        Fds.close(okFd);
        Fds.close(controlFd);
        // Unlock explicitly: a copy of the fd leaked into a child would otherwise keep the lock alive.
        try {
            FileSystem.flock(lockFd, FileSystem.LOCK_UN);
        } catch (OsException e) {
            // Closing below releases it anyway for every fd we know of.
        }
        Fds.close(lockFd);
    }
}
