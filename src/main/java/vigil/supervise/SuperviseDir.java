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
import vigil.os.Fds;
import vigil.os.FileSystem;
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
 * Two fds per service in all (three with runsv's separate {@code ok}). Not thread-safe: the loop thread owns it.
 */
public final class SuperviseDir implements AutoCloseable {
    private static final FileAttribute<Set<PosixFilePermission>> MODE_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final int MODE_0600 = 0600, MODE_0644 = 0644;
    /** Room for any of the three files: "4194304\n", stat's longest text, status's 20 bytes. */
    private static final int BUFFER_SIZE = 64;

    private Path directory;
    private final int lockFd;
    private final int controlFd;
    private final int okFd;
    private final MemorySegment buffer;
    private MemorySegment pid, stat, status;
    /** The pid the {@code pid} file holds, -1 before the first write; runit rewrites it only when it changes. */
    private int writtenPid = -1;
    /** How long each file is now, -1 until this object wrote it: a shorter write must truncate. */
    private long pidLength = -1, statLength = -1, statusLength = -1;
    private boolean closed;

    private SuperviseDir(Path directory, int lockFd, int controlFd, int okFd) {
        this.directory = directory;
        this.lockFd = lockFd;
        this.controlFd = controlFd;
        this.okFd = okFd;
        // The file names and the buffer are made once, so a write allocates nothing. An automatic arena: the
        // memory lives exactly as long as this object, and closing a shared arena per service would cost a
        // handshake with every JVM thread.
        Arena arena = Arena.ofAuto();
        this.buffer = arena.allocate(BUFFER_SIZE);
        this.pid = path(arena, "pid");
        this.stat = path(arena, "stat");
        this.status = path(arena, "status");
    }

    private MemorySegment path(Arena arena, String file) {
        return arena.allocateFrom(directory.resolve(file).toString());
    }

    /**
     * Takes over {@code serviceDir/supervise} (for a logger, pass the {@code log} directory): creates it (0700) if
     * missing, or the missing target if it is a symlink, as runsv does; creates and locks {@code lock}; creates and
     * opens the {@code control} and {@code ok} FIFOs. Write the first state at once: until then {@code sv} sees
     * whatever an earlier supervisor left.
     *
     * @throws AlreadySupervisedException if another process holds {@code supervise/lock}
     * @throws IOException                if the directory or its files cannot be made or opened
     */
    public static SuperviseDir open(Path serviceDir) throws IOException {
        Path directory = serviceDir.resolve("supervise");
        makeDirectory(directory);
        return lockAndOpen(directory, serviceDir.toString());
    }

    /**
     * Like {@link #open} for a supervise directory kept somewhere else, e.g. under the runtime directory for a
     * service directory that is read-only: creates {@code directory} (0700) and its missing parents.
     */
    public static SuperviseDir openAt(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) Files.createDirectories(directory, MODE_0700);
        return lockAndOpen(directory, directory.toString());
    }

    private static SuperviseDir lockAndOpen(Path directory, String what) throws IOException {
        int lock = FileSystem.openLockFile(directory.resolve("lock"), MODE_0600);
        int control = -1;
        try {
            if (!FileSystem.flock(lock, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) {
                throw new AlreadySupervisedException(what
                        + ": already supervised by another process (supervise/lock is held)");
            }
            Path controlFifo = directory.resolve("control");
            FileSystem.mkfifo(controlFifo, MODE_0600);
            control = FileSystem.openFifo(controlFifo);
            return new SuperviseDir(directory, lock, control, openOk(directory.resolve("ok"), controlFifo));
        } catch (IOException | RuntimeException e) {
            Fds.close(control);
            Fds.close(lock);
            throw e;
        }
    }

    /** -1 if {@code ok} is (or now becomes) a link to the control FIFO; else the fd of runsv's own {@code ok}. */
    private static int openOk(Path ok, Path controlFifo) throws IOException {
        try {
            Files.createLink(ok, controlFifo);
            return -1;
        } catch (FileAlreadyExistsException e) {
            if (Files.isSameFile(ok, controlFifo)) return -1;
            FileSystem.mkfifo(ok, MODE_0600);
            return FileSystem.openFifo(ok);
        }
    }

    /**
     * The fds an old daemon held for {@code directory} and handed over ({@code daemon-reexec}): the lock is still
     * held (it belongs to the open file, which the exec kept), and the FIFOs kept what clients wrote meanwhile.
     *
     * @param okFd -1 when {@code ok} is the control FIFO's second name
     */
    public static SuperviseDir adopt(Path directory, int lockFd, int controlFd, int okFd) {
        return new SuperviseDir(directory, lockFd, controlFd, okFd);
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

    /** The {@code supervise} directory (through the symlink, if it is one). */
    public Path directory() {
        return directory;
    }

    /** The {@code control} FIFO, non-blocking and never at end-of-file: clients write command bytes to it. */
    public int controlFd() {
        return controlFd;
    }

    /**
     * Publishes the state in runsv's order: {@code pid} (only if the pid changed), then {@code stat}, then
     * {@code status}, each overwritten in place (see {@link FileSystem#overwrite} for why not renamed). No fsync,
     * nothing allocated.
     */
    public void write(SuperviseState s) throws OsException {
        if (closed) throw new IllegalStateException(directory + " is closed");
        try {
            writeFiles(s);
        } catch (OsException e) {
            // The service directory was moved (renamed, or taken out of the scanned tree): find it again through
            // the lock we hold, as runsv would by working relative to its current directory.
            if (e.errno() != vigil.os.Errno.ENOENT || !relocate()) throw e;
            writeFiles(s);
        }
    }

    /** Follows the held lock file to wherever the directory is now; false if it cannot be found. */
    private boolean relocate() {
        try {
            Path lock = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(lockFd)));
            if (!lock.isAbsolute() || lock.toString().endsWith(" (deleted)")) return false;
            directory = lock.getParent();
        } catch (IOException e) {
            return false;
        }
        Arena arena = Arena.ofAuto();
        pid = path(arena, "pid");
        stat = path(arena, "stat");
        status = path(arena, "status");
        return true;
    }

    private void writeFiles(SuperviseState s) throws OsException {
        if (s.pid() != writtenPid) {
            int length = encodePid(s.pid(), buffer);
            FileSystem.overwrite(pid, buffer, length, pidLength, MODE_0644);
            pidLength = length;
            writtenPid = s.pid();
        }
        int length = StatFile.encode(s, buffer);
        FileSystem.overwrite(stat, buffer, length, statLength, MODE_0644);
        statLength = length;
        StatusFile.encode(s, buffer);
        FileSystem.overwrite(status, buffer, StatusFile.SIZE, statusLength, MODE_0644);
        statusLength = StatusFile.SIZE;
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
