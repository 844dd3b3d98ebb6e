package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts processes: posix_spawn(3) of the vigil-exec helper, which applies an {@link ExecSpec} and execs the
 * program. Never fork in a JVM, never ProcessBuilder: the JDK's reaper thread would race Vigil's own waitid.
 *
 * <p>The helper is {@code -Dvigil.exec} if set, else {@code vigil-exec} next to the jar or classes directory this
 * class was loaded from (target/vigil.jar and target/classes both give target/vigil-exec).
 */
public final class Spawn {
    private Spawn() {}

    private static final MethodHandle POSIX_SPAWN = Native.link("posix_spawn", FunctionDescriptor.of(Native.C_INT,
            Native.C_POINTER, Native.C_POINTER, Native.C_POINTER, Native.C_POINTER, Native.C_POINTER,
            Native.C_POINTER));
    private static final MethodHandle FILE_ACTIONS_INIT = Native.link("posix_spawn_file_actions_init",
            FunctionDescriptor.of(Native.C_INT, Native.C_POINTER));
    private static final MethodHandle FILE_ACTIONS_ADDDUP2 = Native.link("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(Native.C_INT, Native.C_POINTER, Native.C_INT, Native.C_INT));
    private static final MethodHandle FILE_ACTIONS_DESTROY = Native.link("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(Native.C_INT, Native.C_POINTER));

    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; both are opaque, so be generous. */
    private static final long FILE_ACTIONS_SIZE = 256, ATTR_SIZE = 1024;
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(64 * 1024, 16));
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    /**
     * The same for every spawn and only read by posix_spawn, so made once: every signal back to its default and an
     * empty mask in the child, whatever the spawning JVM thread blocks. The helper does it again before execve (so
     * it is also right when run from a shell); doing it here keeps signals from reaching a half-made child.
     */
    private static final MemorySegment ATTRIBUTES = spawnAttributes();

    private static MemorySegment spawnAttributes() {
        MethodHandle init = Native.link("posix_spawnattr_init", FunctionDescriptor.of(Native.C_INT, Native.C_POINTER));
        MethodHandle setFlags = Native.link("posix_spawnattr_setflags",
                FunctionDescriptor.of(Native.C_INT, Native.C_POINTER, ValueLayout.JAVA_SHORT));
        MethodHandle setMask = Native.link("posix_spawnattr_setsigmask",
                FunctionDescriptor.of(Native.C_INT, Native.C_POINTER, Native.C_POINTER));
        MethodHandle setDefault = Native.link("posix_spawnattr_setsigdefault",
                FunctionDescriptor.of(Native.C_INT, Native.C_POINTER, Native.C_POINTER));
        MethodHandle emptySet = Native.link("sigemptyset", FunctionDescriptor.of(Native.C_INT, Native.C_POINTER));
        MethodHandle fillSet = Native.link("sigfillset", FunctionDescriptor.of(Native.C_INT, Native.C_POINTER));
        MemorySegment attr = Arena.global().allocate(ATTR_SIZE, 16);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment none = arena.allocate(128, 8);
            MemorySegment all = arena.allocate(128, 8);
            int rc = (int) init.invokeExact(attr);
            rc |= (int) emptySet.invokeExact(none);
            rc |= (int) fillSet.invokeExact(all);
            rc |= (int) setMask.invokeExact(attr, none);
            rc |= (int) setDefault.invokeExact(attr, all);
            rc |= (int) setFlags.invokeExact(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
            if (rc != 0) throw new AssertionError("posix_spawnattr setup failed");
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return attr;
    }

    /** The helper, located once. */
    private static final class Helper {
        static final Path PATH = locate();
        /** 0 if the helper is an executable file, else the errno to report on every spawn. */
        static final int PROBLEM = !Files.exists(PATH) ? Errno.ENOENT
                : !Files.isRegularFile(PATH) || !Files.isExecutable(PATH) ? Errno.EACCES : 0;
        static final MemorySegment C_PATH = Arena.global().allocateFrom(PATH.toString());

        private static Path locate() {
            String configured = System.getProperty("vigil.exec");
            if (configured != null && !configured.isEmpty()) return Path.of(configured).toAbsolutePath();
            try {
                Path code = Path.of(Spawn.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return code.toAbsolutePath().getParent().resolve("vigil-exec");
            } catch (URISyntaxException | NullPointerException | SecurityException e) {
                return Path.of("vigil-exec").toAbsolutePath();
            }
        }
    }

    /** The vigil-exec binary spawns use, whether or not it exists. */
    public static Path helper() {
        return Helper.PATH;
    }

    /**
     * Starts vigil-exec with {@code spec}. Returns once the child exists; whether the program could be exec'd is
     * learnt from the returned error pipe (see {@link Spawned}).
     *
     * @throws OsException if no child was made: out of processes (EAGAIN), memory (ENOMEM) or fds (EMFILE, ENFILE),
     *                     a source fd that is not open (EBADF), or the helper is missing (ENOENT) or not executable
     *                     (EACCES)
     */
    public static Spawned spawn(ExecSpec spec) throws OsException {
        if (Helper.PROBLEM != 0) throw new OsException("vigil-exec helper", Helper.PATH.toString(), Helper.PROBLEM);
        // Both ends non-blocking: the helper's one short write into an empty pipe cannot block anyway.
        int[] pipe = Fds.pipe(Fds.O_NONBLOCK);
        boolean started = false;
        List<String> helperArgs = spec.helperArguments();
        var argv = new ArrayList<String>(helperArgs.size() + 2);
        argv.add("vigil-exec");
        argv.add("err=" + pipe[1]);
        argv.addAll(helperArgs);
        byte[][] envp = encodedEnvironment(spec.environment());
        // The C strings go into a per-thread scratch buffer: nothing is malloc'd per spawn, so a burst of spawns
        // neither costs allocator time nor leaves the native heap fragmented. A spec too big for it gets an arena.
        MemorySegment scratch = SCRATCH.get();
        try (Arena overflow = Arena.ofConfined()) {
            byte[][] cargv = encode(argv);
            SegmentAllocator memory = bytesNeeded(cargv) + bytesNeeded(envp) + FILE_ACTIONS_SIZE + 64
                    <= scratch.byteSize() ? SegmentAllocator.slicingAllocator(scratch) : overflow;
            MemorySegment cArgv = cStrings(memory, cargv);
            MemorySegment cEnvp = cStrings(memory, envp);

            // Every fd Vigil makes is close-on-exec; dup2(fd, fd) in the child clears that flag (glibc >= 2.29), so
            // exactly the sources and the error pipe survive into the helper.
            MemorySegment actions = memory.allocate(FILE_ACTIONS_SIZE, 16);
            int rc = (int) FILE_ACTIONS_INIT.invokeExact(actions);
            if (rc != 0) throw new OsException("posix_spawn_file_actions_init", rc);
            try {
                var sources = new HashSet<Integer>();
                sources.add(pipe[1]);
                for (ExecSpec.FdMapping m : spec.fds()) sources.add(m.source());
                for (int fd : sources) {
                    rc = (int) FILE_ACTIONS_ADDDUP2.invokeExact(actions, fd, fd);
                    if (rc != 0) throw new OsException("posix_spawn_file_actions_adddup2", String.valueOf(fd), rc);
                }
                MemorySegment pid = memory.allocate(ValueLayout.JAVA_INT);
                // posix_spawn returns an error number rather than setting errno.
                rc = (int) POSIX_SPAWN.invokeExact(pid, Helper.C_PATH, actions, ATTRIBUTES, cArgv, cEnvp);
                if (rc != 0) throw new OsException("posix_spawn", Helper.PATH.toString(), rc);
                started = true;
                return new Spawned(pid.get(ValueLayout.JAVA_INT, 0), pipe[0]);
            } finally {
                int ignored = (int) FILE_ACTIONS_DESTROY.invokeExact(actions);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            // The child has its own copy; with ours closed, EOF on the read end means the child's is gone too.
            Fds.close(pipe[1]);
            if (!started) Fds.close(pipe[0]);
        }
    }

    /**
     * Parses vigil-exec's failure report, "ERRNO STEP SUBJECT" (see native/vigil-exec.c). Empty if the bytes are
     * not such a report.
     */
    public static Optional<ExecFailure> parseFailure(byte[] report) {
        String text = new String(report, StandardCharsets.UTF_8);
        int firstSpace = text.indexOf(' ');
        int secondSpace = firstSpace < 0 ? -1 : text.indexOf(' ', firstSpace + 1);
        if (firstSpace < 1 || firstSpace > 9 || secondSpace <= firstSpace + 1) return Optional.empty();
        for (int i = 0; i < firstSpace; i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') return Optional.empty();
        }
        int errno = Integer.parseInt(text, 0, firstSpace, 10);
        return Optional.of(new ExecFailure(text.substring(firstSpace + 1, secondSpace),
                text.substring(secondSpace + 1), errno));
    }

    /**
     * A NULL-terminated char*[] of {@code strings}, in two allocations. Arena memory starts zeroed, so the strings'
     * NULs and the array's final NULL come free.
     */
    /** The last environment encoded, by identity: services loaded together share one immutable map. */
    private record EncodedEnvironment(Map<String, String> environment, byte[][] entries) {}

    private static volatile EncodedEnvironment lastEnvironment = new EncodedEnvironment(Map.of(), new byte[0][]);

    /** "K=V" entries in UTF-8, encoded once per distinct environment map rather than on every spawn. */
    private static byte[][] encodedEnvironment(Map<String, String> environment) {
        EncodedEnvironment last = lastEnvironment;
        if (last.environment() == environment) return last.entries();
        byte[][] entries = encode(ExecSpec.entries(environment));
        lastEnvironment = new EncodedEnvironment(environment, entries);
        return entries;
    }

    private static byte[][] encode(List<String> strings) {
        byte[][] bytes = new byte[strings.size()][];
        for (int i = 0; i < bytes.length; i++) bytes[i] = strings.get(i).getBytes(StandardCharsets.UTF_8);
        return bytes;
    }

    /** Room for the strings, their NULs and the NULL-terminated pointer array, with alignment slack. */
    private static long bytesNeeded(byte[][] strings) {
        long total = (strings.length + 2L) * ValueLayout.ADDRESS.byteSize() + 16;
        for (byte[] s : strings) total += s.length + 1;
        return total;
    }

    /** A NULL-terminated char*[] of the strings, NUL-terminated, in one block (the memory may not be zeroed). */
    private static MemorySegment cStrings(SegmentAllocator memory, byte[][] bytes) {
        int n = bytes.length;
        long total = 0;
        for (byte[] b : bytes) total += b.length + 1;
        MemorySegment text = memory.allocate(Math.max(total, 1));
        MemorySegment pointers = memory.allocate(ValueLayout.ADDRESS, n + 1);
        long offset = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(bytes[i], 0, text, ValueLayout.JAVA_BYTE, offset, bytes[i].length);
            text.set(ValueLayout.JAVA_BYTE, offset + bytes[i].length, (byte) 0);
            pointers.setAtIndex(ValueLayout.ADDRESS, i, text.asSlice(offset));
            offset += bytes[i].length + 1;
        }
        pointers.setAtIndex(ValueLayout.ADDRESS, n, MemorySegment.NULL);
        return pointers;
    }
}
