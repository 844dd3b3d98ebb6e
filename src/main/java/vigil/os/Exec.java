package vigil.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What {@code vigil daemon-reexec} needs of the kernel, and no more: an anonymous file to carry the state across,
 * the fd table made to hold exactly what is handed over, and execve of the process itself. The process keeps its
 * pid, its children and every fd not marked close-on-exec.
 */
public final class Exec {
    private Exec() {}

    // memfd_create and execve: the state goes in a file that lives only as long as an fd names it, and the JVM
    // replaces itself (posix_spawn would make a new process, and services would lose their parent).
    private static final MethodHandle MEMFD_CREATE = Native.linkErrno("memfd_create", 2);
    private static final MethodHandle EXECVE = Native.linkErrno("execve", 3);
    private static final int MFD_CLOEXEC = 1;

    /** An anonymous file holding {@code content}, its offset back at 0; close-on-exec until told otherwise. */
    public static int memoryFile(String name, byte[] content) throws OsException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot();
            fd = (int) (long) MEMFD_CREATE.invokeExact(slot, arena.allocateFrom(name).address(), (long) MFD_CLOEXEC);
            if (fd < 0) throw new OsException("memfd_create", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        try {
            for (int done = 0; done < content.length; ) {
                int n = Fds.write(fd, content, done, content.length - done);
                if (n <= 0) throw new OsException("write", "memfd", Errno.EIO);
                done += n;
            }
        } catch (OsException e) {
            Fds.close(fd);
            throw e;
        }
        // Read back through /proc/self/fd/N, which opens the file anew at offset 0: no lseek needed.
        return fd;
    }

    /** Every fd of the process (above 2) now open, from /proc/self/fd. */
    public static List<Integer> openFds() throws IOException {
        List<Integer> fds = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
            entries.forEach(p -> fds.add(Integer.parseInt(p.getFileName().toString())));
        }
        // The directory's own fd was in the listing and is closed by now: harmless, fcntl on it fails with EBADF.
        return fds.stream().filter(fd -> fd > 2).sorted().toList();
    }

    /**
     * Makes {@code keep} survive execve and every other fd above 2 close-on-exec (some the JVM opened without it).
     * Returns the fds whose flag was cleared, for {@link #restoreCloseOnExec} if the exec fails.
     */
    public static List<Integer> keepOnly(Set<Integer> keep) throws IOException {
        for (int fd : openFds()) {
            if (keep.contains(fd)) continue;
            try {
                Fds.setCloseOnExec(fd, true);
            } catch (OsException e) {
                if (e.errno() != Errno.EBADF) throw e; // closed since the listing
            }
        }
        List<Integer> cleared = new ArrayList<>();
        try {
            for (int fd : keep) {
                Fds.setCloseOnExec(fd, false);
                cleared.add(fd);
            }
        } catch (OsException e) {
            restoreCloseOnExec(cleared);
            throw e;
        }
        return cleared;
    }

    /** Marks the fds close-on-exec again: the exec failed and the process goes on. */
    public static void restoreCloseOnExec(List<Integer> fds) {
        for (int fd : fds) {
            try {
                Fds.setCloseOnExec(fd, true);
            } catch (OsException e) {
                // Closed meanwhile: nothing left to leak.
            }
        }
    }

    /**
     * execve: returns only by throwing, when the kernel refused. The calling thread's signal mask goes with it, so
     * it is set to {@code blockedMask} for the call (and put back after a failure).
     */
    public static void execve(String path, List<String> argv, Map<String, String> environment, long blockedMask)
            throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = pointers(arena, argv);
            MemorySegment env = pointers(arena, environment.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toList());
            MemorySegment file = arena.allocateFrom(path);
            MemorySegment slot = Native.errnoSlot();
            long previous = SignalEvents.replaceMask(blockedMask);
            try {
                long ignored = (long) EXECVE.invokeExact(slot, file.address(), args.address(), env.address());
            } finally {
                SignalEvents.restoreMask(previous);
            }
            throw new OsException("execve", path, Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A NULL-terminated array of C strings. */
    private static MemorySegment pointers(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }
}
