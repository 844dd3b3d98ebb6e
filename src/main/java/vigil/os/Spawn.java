package vigil.os;

import java.lang.foreign.Arena;
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
import java.util.OptionalInt;

/**
 * Starts processes with posix_spawn(3): of the program itself when posix_spawn can apply the whole
 * {@link ExecSpec}, else of the vigil-exec helper, which applies the spec and execs the program. Never fork in a
 * JVM, never ProcessBuilder: the JDK's reaper thread would race Vigil's own waitid.
 *
 * <p>The helper is {@code -Dvigil.exec} if set, else {@code vigil-exec} next to the jar or classes directory this
 * class was loaded from (target/vigil.jar and target/classes both give target/vigil-exec).
 */
public final class Spawn {
    private Spawn() {}

    private static final MethodHandle POSIX_SPAWN = Native.link("posix_spawn", 6);
    private static final MethodHandle FILE_ACTIONS_INIT = Native.link("posix_spawn_file_actions_init", 1);
    private static final MethodHandle FILE_ACTIONS_ADDDUP2 = Native.link("posix_spawn_file_actions_adddup2", 3);
    private static final MethodHandle FILE_ACTIONS_ADDCLOSE = Native.link("posix_spawn_file_actions_addclose", 2);
    private static final MethodHandle FILE_ACTIONS_ADDCLOSEFROM =
            Native.link("posix_spawn_file_actions_addclosefrom_np", 2);
    private static final MethodHandle FILE_ACTIONS_ADDCHDIR = Native.link("posix_spawn_file_actions_addchdir_np", 2);
    private static final MethodHandle FILE_ACTIONS_DESTROY = Native.link("posix_spawn_file_actions_destroy", 1);

    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; both are opaque, so be generous. */
    private static final long FILE_ACTIONS_SIZE = 256, ATTR_SIZE = 1024;
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(64 * 1024, 16));
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80,
            POSIX_SPAWN_SETCGROUP = 0x100;
    private static final MethodHandle ATTR_SET_FLAGS = Native.link("posix_spawnattr_setflags", 2);
    /** A spawn into a cgroup gets a copy of the shared attributes with the cgroup set: one buffer per thread. */
    private static final ThreadLocal<MemorySegment> CGROUP_ATTRIBUTES =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ATTR_SIZE, 16));

    /**
     * The same for every spawn and only read by posix_spawn, so made once: every signal back to its default and an
     * empty mask in the child, whatever the spawning JVM thread blocks. The helper does it again before execve (so
     * it is also right when run from a shell); doing it here keeps signals from reaching a half-made child.
     */
    private static final MemorySegment ATTRIBUTES = spawnAttributes((short) 0);
    /** The same plus setsid(), for a program spawned directly into a session of its own. */
    private static final MemorySegment ATTRIBUTES_NEW_SESSION = spawnAttributes(POSIX_SPAWN_SETSID);

    private static MemorySegment spawnAttributes(short extraFlags) {
        MethodHandle init = Native.link("posix_spawnattr_init", 1);
        MethodHandle setMask = Native.link("posix_spawnattr_setsigmask", 2);
        MethodHandle setDefault = Native.link("posix_spawnattr_setsigdefault", 2);
        MethodHandle emptySet = Native.link("sigemptyset", 1);
        MemorySegment attr = Arena.global().allocate(ATTR_SIZE, 16);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment none = arena.allocate(128, 8);
            MemorySegment all = arena.allocate(128, 8);
            int rc = (int) (long) init.invokeExact(attr.address());
            rc |= (int) (long) emptySet.invokeExact(none.address());
            // Every bit by hand: sigfillset leaves out glibc's internal signals 32 and 33, which posix_spawn then
            // hands a directly spawned program ignored.
            all.fill((byte) 0xff);
            rc |= (int) (long) setMask.invokeExact(attr.address(), none.address());
            rc |= (int) (long) setDefault.invokeExact(attr.address(), all.address());
            // The flags are a C short: sign-extended like an int, the callee reads the low 16 bits.
            rc |= (int) (long) ATTR_SET_FLAGS.invokeExact(attr.address(),
                    (long) (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | extraFlags));
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
     * Starts the program of {@code spec}: directly when posix_spawn can apply the whole spec (one exec instead of
     * two, which is most of a restart's cost), its cgroup included where libc can clone into it (glibc 2.39), else
     * through vigil-exec. Returns once the child exists; whether the
     * program could be exec'd is known at once for a direct spawn, and learnt from the error pipe otherwise (see
     * {@link Spawned}).
     *
     * @throws OsException if no child was made: out of processes (EAGAIN), memory (ENOMEM) or fds (EMFILE, ENFILE),
     *                     a source fd that is not open (EBADF), or the helper is missing (ENOENT) or not executable
     *                     (EACCES)
     */
    public static Spawned spawn(ExecSpec spec) throws OsException {
        boolean direct = !spec.needsHelper()
                || spec.needsHelperOnlyForItsCgroup() && Native.IntoCgroup.SET_CGROUP.isPresent();
        if (!direct || !canMapFdsDirectly(spec)) return spawnThroughHelper(spec);
        try {
            return spawnDirectly(spec);
        } catch (OsException e) {
            if (Errno.isShortage(e.errno())) throw e;
            // The child could not chdir or exec, or not be cloned into its cgroup (gone, or one the kernel will not
            // clone into). The helper fails the same way, but says which step failed and exits 111 as runsv's
            // child does, so failures look alike whichever way a spawn went.
            return spawnThroughHelper(spec);
        }
    }

    /**
     * posix_spawn's dup2s run in order, so a source that is also another mapping's target could be overwritten
     * before it is copied; the helper moves every source out of the way first.
     */
    private static boolean canMapFdsDirectly(ExecSpec spec) {
        for (ExecSpec.FdMapping m : spec.fds()) {
            for (ExecSpec.FdMapping other : spec.fds()) {
                if (other != m && other.target() == m.source()) return false;
            }
        }
        return true;
    }

    private static Spawned spawnDirectly(ExecSpec spec) throws OsException {
        MemorySegment attributes = spec.newSession() ? ATTRIBUTES_NEW_SESSION : ATTRIBUTES;
        if (spec.cgroups().isEmpty()) return new Spawned(spawnDirectly(spec, attributes), OptionalInt.empty());
        // Opened for each spawn: microseconds, and an fd kept per cgroup would go stale when its directory is
        // removed and made again.
        int cgroup = Fds.open(spec.cgroups().getFirst(), Fds.O_RDONLY | Fds.O_DIRECTORY, 0);
        try {
            return new Spawned(spawnDirectly(spec, intoCgroup(attributes, cgroup, spec.newSession())),
                    OptionalInt.empty());
        } finally {
            Fds.close(cgroup);
        }
    }

    /** A copy of {@code attributes} that also clones the child into the cgroup directory open at {@code fd}. */
    private static MemorySegment intoCgroup(MemorySegment attributes, int fd, boolean newSession) {
        MemorySegment copy = CGROUP_ATTRIBUTES.get();
        // posix_spawnattr_t is plain data (flags, masks, ids): a byte copy is a whole attribute object.
        copy.copyFrom(attributes);
        short flags = (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETCGROUP
                | (newSession ? POSIX_SPAWN_SETSID : 0));
        int rc;
        try {
            rc = (int) (long) ATTR_SET_FLAGS.invokeExact(copy.address(), (long) flags);
            rc |= (int) (long) Native.IntoCgroup.SET_CGROUP.orElseThrow().invokeExact(copy.address(), (long) fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc != 0) throw new AssertionError("posix_spawnattr setup failed");
        return copy;
    }

    private static int spawnDirectly(ExecSpec spec, MemorySegment attributes) throws OsException {
        int pid = posixSpawn(spec.program().toString(), spec.argv(), spec.environment(), attributes,
                (actions, memory) -> {
                    if (spec.workingDirectory().isPresent()) {
                        MemorySegment cwd = memory.allocateFrom(spec.workingDirectory().get().toString());
                        check((int) (long) FILE_ACTIONS_ADDCHDIR.invokeExact(actions.address(), cwd.address()),
                                "posix_spawn_file_actions_addchdir_np");
                    }
                    // dup2 clears close-on-exec on the target (for fd == target too, since glibc 2.29); then every
                    // other fd from 3 up is closed, as the helper does, whether or not it was close-on-exec.
                    int highest = 2;
                    for (ExecSpec.FdMapping m : spec.fds()) {
                        int rc = (int) (long) FILE_ACTIONS_ADDDUP2.invokeExact(actions.address(), (long) m.source(),
                                (long) m.target());
                        check(rc, "posix_spawn_file_actions_adddup2");
                        highest = Math.max(highest, m.target());
                    }
                    for (int fd = 3; fd < highest; fd++) {
                        if (!isTarget(spec, fd)) {
                            check((int) (long) FILE_ACTIONS_ADDCLOSE.invokeExact(actions.address(), (long) fd),
                                    "posix_spawn_file_actions_addclose");
                        }
                    }
                    check((int) (long) FILE_ACTIONS_ADDCLOSEFROM.invokeExact(actions.address(), (long) (highest + 1)),
                            "posix_spawn_file_actions_addclosefrom_np");
                });
        // glibc's child shares our memory until it execs, so posix_spawn has returned only once the exec succeeded
        // (a failed one is an error, its child already reaped).
        return pid;
    }

    private static boolean isTarget(ExecSpec spec, int fd) {
        for (ExecSpec.FdMapping m : spec.fds()) {
            if (m.target() == fd) return true;
        }
        return false;
    }

    private static void check(int rc, String call) throws OsException {
        if (rc != 0) throw new OsException(call, rc);
    }

    /** Starts vigil-exec, which applies {@code spec} and execs the program, reporting failure on a pipe. */
    private static Spawned spawnThroughHelper(ExecSpec spec) throws OsException {
        if (Helper.PROBLEM != 0) throw new OsException("vigil-exec helper", Helper.PATH.toString(), Helper.PROBLEM);
        // Both ends non-blocking: the helper's one short write into an empty pipe cannot block anyway.
        int[] pipe = Fds.pipe(Fds.O_NONBLOCK);
        try {
            List<String> helperArgs = spec.helperArguments();
            var argv = new ArrayList<String>(helperArgs.size() + 2);
            argv.add("vigil-exec");
            argv.add("err=" + pipe[1]);
            argv.addAll(helperArgs);
            int pid = posixSpawn(Helper.PATH.toString(), argv, spec.environment(), ATTRIBUTES, (actions, memory) -> {
                // Every fd Vigil makes is close-on-exec; dup2(fd, fd) in the child clears that flag (glibc >= 2.29),
                // so exactly the sources and the error pipe survive into the helper.
                var sources = new HashSet<Integer>();
                sources.add(pipe[1]);
                for (ExecSpec.FdMapping m : spec.fds()) sources.add(m.source());
                for (int fd : sources) {
                    int rc = (int) (long) FILE_ACTIONS_ADDDUP2.invokeExact(actions.address(), (long) fd, (long) fd);
                    if (rc != 0) throw new OsException("posix_spawn_file_actions_adddup2", String.valueOf(fd), rc);
                }
            });
            return new Spawned(pid, OptionalInt.of(pipe[0]));
        } catch (OsException e) {
            Fds.close(pipe[0]);
            throw e;
        } finally {
            // The child has its own copy; with ours closed, EOF on the read end means the child's is gone too.
            Fds.close(pipe[1]);
        }
    }

    /** Adds a spawn's file actions; the memory lives until posix_spawn has returned. */
    @FunctionalInterface
    private interface FileActions {
        void add(MemorySegment actions, SegmentAllocator memory) throws Throwable;
    }

    /**
     * posix_spawn of {@code program} with the signal attributes and file actions given; returns the pid. The C
     * strings go into a per-thread scratch buffer: nothing is malloc'd per spawn, so a burst of spawns neither costs
     * allocator time nor leaves the native heap fragmented. A spawn too big for it gets an arena.
     */
    private static int posixSpawn(String program, List<String> argv, Map<String, String> environment,
                                  MemorySegment attributes, FileActions fileActions) throws OsException {
        byte[][] envp = encodedEnvironment(environment);
        byte[][] cargv = encode(argv);
        byte[] cProgramBytes = program.getBytes(StandardCharsets.UTF_8);
        MemorySegment scratch = SCRATCH.get();
        try (Arena overflow = Arena.ofConfined()) {
            // Room for the strings and the file actions, plus what the actions allocate (a working directory).
            long needed = bytesNeeded(cargv) + bytesNeeded(envp) + cProgramBytes.length + FILE_ACTIONS_SIZE + 4096;
            SegmentAllocator memory = needed <= scratch.byteSize() ? SegmentAllocator.slicingAllocator(scratch)
                    : overflow;
            MemorySegment cArgv = cStrings(memory, cargv);
            MemorySegment cEnvp = cStrings(memory, envp);
            MemorySegment cProgram = cStrings(memory, new byte[][] {cProgramBytes}).get(ValueLayout.ADDRESS, 0);
            MemorySegment actions = memory.allocate(FILE_ACTIONS_SIZE, 16);
            check((int) (long) FILE_ACTIONS_INIT.invokeExact(actions.address()), "posix_spawn_file_actions_init");
            try {
                fileActions.add(actions, memory);
                MemorySegment pid = memory.allocate(ValueLayout.JAVA_INT);
                // posix_spawn returns an error number rather than setting errno.
                int rc = (int) (long) POSIX_SPAWN.invokeExact(pid.address(), cProgram.address(), actions.address(),
                        attributes.address(), cArgv.address(), cEnvp.address());
                if (rc != 0) throw new OsException("posix_spawn", program, rc);
                return pid.get(ValueLayout.JAVA_INT, 0);
            } finally {
                long ignored = (long) FILE_ACTIONS_DESTROY.invokeExact(actions.address());
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
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
