package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An open directory, and the files in it reached only through that fd: what root writes in a directory another
 * user may write too (a service's log directory, its {@code supervise/}). A name there may be swapped at any moment
 * for a symlink to a file of root's, so:
 * <ul>
 *   <li>every file is opened with {@code O_NOFOLLOW}, relative to this fd: a rename of the directory, or a symlink
 *       in place of the file, never leads the write elsewhere;</li>
 *   <li>something planted where a file of ours should be (a symlink, a FIFO, a second hard link) is replaced, never
 *       followed, and its target is left alone, as runsv 2.1.2 does: by unlinking the name and creating it afresh
 *       with {@code O_EXCL}, or by writing a new file and renaming it over the name;</li>
 *   <li>modes and owners are set through the file's own fd ({@link #chmod}, {@link #chown}), never by name.</li>
 * </ul>
 * Every fd it opens is close-on-exec.
 */
public final class DirFd implements AutoCloseable {
    private static final int AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_EXCL = 0x80;
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** struct statx: 256 bytes, its fields at the same offsets on every architecture. */
    private static final long STATX_SIZE = 256, STX_NLINK = 16, STX_UID = 20, STX_GID = 24, STX_MODE = 28,
            STX_INO = 32, STX_SIZE = 40, STX_DEV_MAJOR = 136, STX_DEV_MINOR = 140;
    /** Tries at replacing a planted file before giving up: each try loses only to someone replacing it again. */
    private static final int ATTEMPTS = 8;

    /** What a name or an open file is: its type and permission bits, owner, link count, identity and size. */
    public record Entry(int mode, int uid, int gid, int links, long device, long inode, long size) {
        public static final int S_IFMT = 0170000, S_IFREG = 0100000, S_IFDIR = 0040000, S_IFIFO = 0010000,
                S_IFLNK = 0120000;

        public boolean isRegular() {
            return (mode & S_IFMT) == S_IFREG;
        }

        public boolean isDirectory() {
            return (mode & S_IFMT) == S_IFDIR;
        }

        public boolean isFifo() {
            return (mode & S_IFMT) == S_IFIFO;
        }

        public boolean isSymlink() {
            return (mode & S_IFMT) == S_IFLNK;
        }

        /** The permission bits (with setuid, setgid and sticky). */
        public int permissions() {
            return mode & 07777;
        }

        public boolean sameFile(Entry other) {
            return device == other.device && inode == other.inode;
        }

        /** A plain file that this name alone leads to: not a link to (or from) somewhere else. */
        boolean isOwnRegularFile() {
            return isRegular() && links == 1;
        }
    }

    /** statx's buffer, one per thread, so that an open directory costs no native memory of its own. */
    private static final ThreadLocal<MemorySegment> STAT_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATX_SIZE, 8));
    private static final MemorySegment EMPTY = Arena.global().allocateFrom("");

    private final int fd;
    private final Path path;
    private boolean closed;

    private DirFd(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens the directory {@code dir}. A symlink in its place is followed only if no one but root or this
     * process's user can have put it there: its parent is theirs and no one else may write it (runit's
     * {@code supervise -> /run/runit/...}). Otherwise a symlink there is refused with ELOOP. The parent itself is
     * reached as the path says: the ancestors of a service's directories are the administrator's.
     */
    public static DirFd open(Path dir) throws OsException {
        Path absolute = dir.toAbsolutePath();
        Path parent = absolute.getParent();
        if (parent == null) return openPath(absolute, Fds.O_NOFOLLOW);
        try (DirFd up = openPath(parent, 0)) {
            return up.openDirectory(absolute.getFileName().toString(), up.writableOnlyByUs(), absolute);
        }
    }

    /**
     * Opens the directory {@code cPath} (a NUL-terminated path) again if it is still the directory {@code same}
     * describes, following symlinks: whatever led there, it is that very directory. Null if the path leads
     * nowhere or elsewhere now (the directory was moved, or something put in its place).
     */
    public static DirFd reopen(MemorySegment cPath, Path shown, Entry same) throws OsException {
        int fd;
        try {
            fd = Fds.open(cPath, Fds.O_RDONLY | Fds.O_DIRECTORY, 0);
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) return null;
            throw e;
        }
        DirFd dir = new DirFd(fd, shown);
        try {
            if (dir.status().sameFile(same)) return dir;
        } catch (OsException | RuntimeException e) {
            dir.close();
            throw e;
        }
        dir.close();
        return null;
    }

    private static DirFd openPath(Path dir, int extraFlags) throws OsException {
        int fd = Fds.open(dir, Fds.O_RDONLY | Fds.O_DIRECTORY | extraFlags, 0);
        return new DirFd(fd, dir);
    }

    /** The directory {@code name} in this one; a symlink there is refused (ELOOP) unless {@code follow}. */
    public DirFd openDirectory(String name, boolean follow) throws OsException {
        return openDirectory(name, follow, path.resolve(name));
    }

    private DirFd openDirectory(String name, boolean follow, Path shown) throws OsException {
        int flags = Fds.O_RDONLY | Fds.O_DIRECTORY | (follow ? 0 : Fds.O_NOFOLLOW);
        try {
            return new DirFd(openRaw(cString(name), flags, 0, shown), shown);
        } catch (OsException e) {
            // O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: say what it is.
            if (follow || e.errno() != Errno.ENOTDIR) throw e;
            Entry there = status(name);
            if (there == null || !there.isSymlink()) throw e;
            throw new OsException("open", shown + " (a symbolic link, not followed: users other than root may "
                    + "write " + path + ")", Errno.ELOOP);
        }
    }

    /** The directory's path as it was opened, for messages: it may have moved since. */
    public Path path() {
        return path;
    }

    public int fd() {
        return fd;
    }

    /**
     * A path that names this very directory wherever it is now ({@code /proc/self/fd/N}), for the JDK's own
     * directory listing. Only for reading names: every file is opened through {@link #open}.
     */
    public Path listingPath() {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }

    /** Whether no one but root or this process's user may add, remove or rename names here. */
    public boolean writableOnlyByUs() throws OsException {
        Entry self = status();
        return isUs(self.uid()) && (self.permissions() & 0022) == 0;
    }

    /**
     * Refuses a directory that belongs to another user (not root, not this process's): that user may rename or
     * replace anything in it at any moment, and root must not write there on his behalf. A directory of root's,
     * even one others may write, is fine: what is written in it goes through this class.
     */
    public void checkOwner() throws ForeignDirectoryException, OsException {
        int owner = status().uid();
        if (!isUs(owner)) throw new ForeignDirectoryException(path, owner, effectiveUid());
    }

    private static boolean isUs(int uid) {
        return uid == 0 || uid == effectiveUid();
    }

    /** The effective uid: whose files this process makes, and whose directories it may write in. */
    public static int effectiveUid() {
        try {
            return (int) (long) Native.At.GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The directory itself. */
    public Entry status() throws OsException {
        return statx(fd, EMPTY, AT_EMPTY_PATH, path.toString());
    }

    /** The open file {@code file}, through this object's buffer. */
    public Entry status(int file) throws OsException {
        return statx(file, EMPTY, AT_EMPTY_PATH, "fd " + file);
    }

    /** The entry {@code name} itself (a symlink is not followed), or null if there is none. */
    public Entry status(String name) throws OsException {
        try {
            return statx(fd, cString(name), AT_SYMLINK_NOFOLLOW, path.resolve(name).toString());
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    /** Opens {@code name} here with {@code flags} plus O_NOFOLLOW (a symlink fails with ELOOP) and O_CLOEXEC. */
    public int open(String name, int flags, int mode) throws OsException {
        return openRaw(cString(name), flags | Fds.O_NOFOLLOW, mode, path.resolve(name));
    }

    /**
     * Opens the regular file {@code name} for writing with {@code flags} (an access mode, O_APPEND...), creating it
     * with {@code mode} (less the umask) if it is missing. Anything else under that name (a symlink, a FIFO, a
     * file with a second hard link elsewhere) is unlinked and a new file made in its place with O_EXCL: the
     * target of a planted link is never opened. The fd is non-blocking (no effect on a regular file), so a FIFO
     * put there cannot make the open wait.
     */
    public int openOwnFile(String name, int flags, int mode) throws OsException {
        MemorySegment cName = cString(name);
        Path shown = path.resolve(name);
        int base = flags | Fds.O_NOFOLLOW | Fds.O_NONBLOCK;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int file;
            try {
                file = openRaw(cName, base, 0, shown);
            } catch (OsException e) {
                if (e.errno() == Errno.ENOENT) {
                    try {
                        return openRaw(cName, base | Fds.O_CREAT | O_EXCL, mode, shown);
                    } catch (OsException raced) {
                        if (raced.errno() == Errno.EEXIST) continue;
                        throw raced;
                    }
                }
                // ELOOP: a symlink; ENXIO: a FIFO no one reads.
                if (e.errno() != Errno.ELOOP && e.errno() != Errno.ENXIO) throw e;
                unlinkIfPresent(cName, shown);
                continue;
            }
            Entry entry;
            try {
                entry = status(file);
            } catch (OsException e) {
                Fds.close(file);
                throw e;
            }
            if (entry.isOwnRegularFile()) return file;
            Fds.close(file);
            unlinkIfPresent(cName, shown);
        }
        throw new OsException("open", shown + " (replaced again each time it was made)", Errno.EEXIST);
    }

    /**
     * Makes {@code name} hold exactly {@code length} bytes of {@code data}, for a small file rewritten often
     * ({@code supervise/status}): overwritten in place when it is a plain file of its own, which costs an open, a
     * status, a pwrite and a close (a rename costs a journal commit on ext4, ~0.5 ms against ~6 us); anything
     * planted there instead is replaced by writing {@code temporary} and renaming it over {@code name}, as runsv
     * does. Both names are NUL-terminated strings the caller made once, so an overwrite allocates nothing.
     *
     * @param previousLength what the file held when this process last wrote it, or -1 if unknown
     */
    public void overwrite(MemorySegment name, MemorySegment temporary, MemorySegment data, long length,
                          long previousLength, int mode) throws OsException {
        int file;
        try {
            file = openRaw(name, Fds.O_WRONLY | Fds.O_CREAT | Fds.O_NOFOLLOW | Fds.O_NONBLOCK, mode, null);
        } catch (OsException e) {
            if (e.errno() != Errno.ELOOP && e.errno() != Errno.ENXIO) throw e;
            replace(name, temporary, data, length, mode);
            return;
        }
        try {
            if (!status(file).isOwnRegularFile()) {
                Fds.close(file);
                file = -1;
                replace(name, temporary, data, length, mode);
                return;
            }
            writeAt(file, data, length, name);
            if (previousLength < 0 || length < previousLength) truncate(file, length, name);
        } finally {
            Fds.close(file);
        }
    }

    /** Writes {@code temporary} afresh (O_EXCL) with the data and renames it over {@code name}. */
    public void replace(MemorySegment name, MemorySegment temporary, MemorySegment data, long length, int mode)
            throws OsException {
        int file = -1;
        for (int attempt = 0; file < 0; attempt++) {
            try {
                file = openRaw(temporary, Fds.O_WRONLY | Fds.O_CREAT | O_EXCL | Fds.O_NOFOLLOW, mode, null);
            } catch (OsException e) {
                // A temporary file left by a crash, or planted: it goes, whatever it is.
                if (e.errno() != Errno.EEXIST || attempt >= ATTEMPTS) throw e;
                unlinkIfPresent(temporary, null);
            }
        }
        try {
            writeAt(file, data, length, temporary);
        } finally {
            Fds.close(file);
        }
        rename(temporary, name);
    }

    /**
     * Makes the FIFO {@code name} (mode less the umask) unless one is there; anything else there but a directory
     * is replaced.
     */
    public void mkfifo(String name, int mode) throws OsException {
        MemorySegment cName = cString(name);
        Path shown = path.resolve(name);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int errno = call2(Native.At.MKFIFOAT, Native.address(cName), mode);
            if (errno == 0) return;
            if (errno != Errno.EEXIST) throw new OsException("mkfifo", shown.toString(), errno);
            Entry there = status(name);
            if (there == null) continue;
            if (there.isFifo()) return;
            if (there.isDirectory()) throw new OsException("mkfifo", shown.toString(), Errno.EEXIST);
            unlinkIfPresent(cName, shown);
        }
        throw new OsException("mkfifo", shown + " (replaced again each time it was made)", Errno.EEXIST);
    }

    /** Opens the FIFO {@code name} for reading and writing, non-blocking; refuses anything that is not a FIFO. */
    public int openFifo(String name) throws OsException {
        int file = open(name, Fds.O_RDWR | Fds.O_NONBLOCK, 0);
        try {
            if (status(file).isFifo()) return file;
        } catch (OsException e) {
            Fds.close(file);
            throw e;
        }
        Fds.close(file);
        throw new OsException("open", path.resolve(name) + " (not a FIFO)", Errno.EINVAL);
    }

    /** A second name {@code to} for the entry {@code from} itself (a symlink is not followed). */
    public void link(String from, String to) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) (long) Native.At.LINKAT.invokeExact(slot, (long) fd, arena.allocateFrom(from).address(),
                    (long) fd, arena.allocateFrom(to).address(), 0L);
            if (rc < 0) throw new OsException("link", path.resolve(to).toString(), Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Renames {@code from} to {@code to} in this directory, replacing whatever {@code to} was (a symlink itself). */
    public void rename(String from, String to) throws OsException {
        rename(cString(from), cString(to));
    }

    private void rename(MemorySegment from, MemorySegment to) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.RENAMEAT.invokeExact(slot, (long) fd, Native.address(from), (long) fd,
                    Native.address(to));
            if (rc < 0) {
                throw new OsException("rename", path.resolve(from.getString(0)) + " to " + to.getString(0),
                        Native.errno(slot));
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Removes the name {@code name} (a symlink itself, never its target); false if there was none. */
    public boolean unlink(String name) throws OsException {
        return unlinkIfPresent(cString(name), path.resolve(name));
    }

    /** Makes the directory {@code name} with the mode (less the umask); false if something is there already. */
    public boolean mkdir(String name, int mode) throws OsException {
        int errno = call2(Native.At.MKDIRAT, Native.address(cString(name)), mode);
        if (errno == 0) return true;
        if (errno == Errno.EEXIST) return false;
        throw new OsException("mkdir", path.resolve(name).toString(), errno);
    }

    /**
     * The text of the regular file {@code name} (ISO-8859-1, at most {@code max} bytes), or null if there is
     * none. A symlink or anything else not a plain file is refused: root must not read a file another user
     * names, and maybe repeat it in a message.
     */
    public String readText(String name, int max) throws OsException {
        int file;
        try {
            file = open(name, Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
        } catch (OsException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
        try (Arena arena = Arena.ofConfined()) {
            if (!status(file).isRegular()) {
                throw new OsException("read", path.resolve(name) + " (not a regular file)", Errno.EINVAL);
            }
            MemorySegment buffer = arena.allocate(max + 1L);
            long total = 0;
            while (total <= max) {
                long n = RegularFiles.pread(file, buffer.asSlice(total), max + 1L - total, total);
                if (n == 0) break;
                total += n;
            }
            if (total > max) {
                throw new OsException("read", path.resolve(name) + " (longer than " + max + " bytes)", Errno.EINVAL);
            }
            return new String(buffer.asSlice(0, total).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
        } finally {
            Fds.close(file);
        }
    }

    /** fchmod: the mode of the open file, whatever its name is now. */
    public static void chmod(int file, int mode) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.FCHMOD.invokeExact(slot, (long) file, (long) mode);
            if (rc < 0) throw new OsException("fchmod", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fchown: the owner and group of the open file (-1 leaves one as it is). */
    public static void chown(int file, int uid, int gid) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.FCHOWN.invokeExact(slot, (long) file, (long) uid, (long) gid);
            if (rc < 0) throw new OsException("fchown", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(fd);
    }

    // ---- plumbing ----

    /** A NUL-terminated copy of a name, refusing one that could leave this directory. */
    private static MemorySegment cString(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0 || name.equals("..")) {
            throw new IllegalArgumentException("not a name in a directory: '" + name + "'");
        }
        return Arena.ofAuto().allocateFrom(name);
    }

    private int openRaw(MemorySegment name, int flags, int mode, Path shown) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            long address = Native.address(name);
            while (true) {
                int file = (int) (long) Native.At.OPENAT.invokeExact(slot, (long) fd, address,
                        (long) (flags | Fds.O_CLOEXEC), (long) mode);
                if (file >= 0) return file;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                throw new OsException("open", shown != null ? shown.toString()
                        : path.resolve(name.getString(0)).toString(), errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mkdirat and mkfifoat: (dirfd, name, mode); 0 or the errno. */
    private int call2(java.lang.invoke.MethodHandle handle, long name, int mode) {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) handle.invokeExact(slot, (long) fd, name, (long) mode);
            return rc == 0 ? 0 : Native.errno(slot);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private boolean unlinkIfPresent(MemorySegment name, Path shown) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.UNLINKAT.invokeExact(slot, (long) fd, Native.address(name), 0L);
            if (rc == 0) return true;
            int errno = Native.errno(slot);
            if (errno == Errno.ENOENT) return false;
            throw new OsException("unlink", shown != null ? shown.toString()
                    : path.resolve(name.getString(0)).toString(), errno);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void writeAt(int file, MemorySegment data, long length, MemorySegment name) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            long rc = (long) Native.At.PWRITE.invokeExact(slot, (long) file, Native.address(data), length, 0L);
            if (rc < 0) throw new OsException("write", path.resolve(name.getString(0)).toString(), Native.errno(slot));
            if (rc < length) throw new OsException("write", path.resolve(name.getString(0)).toString(), Errno.ENOSPC);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void truncate(int file, long length, MemorySegment name) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.FTRUNCATE.invokeExact(slot, (long) file, length);
            if (rc < 0) {
                throw new OsException("ftruncate", path.resolve(name.getString(0)).toString(), Native.errno(slot));
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private Entry statx(int dirFd, MemorySegment name, int flags, String subject) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.At.STATX.invokeExact(slot, (long) dirFd, Native.address(name),
                    (long) flags, (long) STATX_BASIC_STATS, STAT_BUFFER.get().address());
            if (rc < 0) throw new OsException("statx", subject, Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        MemorySegment b = STAT_BUFFER.get();
        long device = (long) b.get(ValueLayout.JAVA_INT, STX_DEV_MAJOR) << 32
                | Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, STX_DEV_MINOR));
        return new Entry(Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT, STX_MODE)),
                b.get(ValueLayout.JAVA_INT, STX_UID), b.get(ValueLayout.JAVA_INT, STX_GID),
                b.get(ValueLayout.JAVA_INT, STX_NLINK), device, b.get(ValueLayout.JAVA_LONG, STX_INO),
                b.get(ValueLayout.JAVA_LONG, STX_SIZE));
    }
}
