package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Optional;

/**
 * The plumbing shared by every FFM binding in this package: the linker, libc's symbols, and errno capture.
 *
 * <p>Every downcall that can fail is linked with {@link Linker.Option#captureCallState} so errno is read
 * atomically with the call, before the JVM can clobber it. Callers pass a per-thread capture segment
 * (see {@link #errnoSlot()}) as the first argument.
 *
 * <p>Every function is linked in one normalized form, by arity alone: each argument a {@code long}, the result a
 * {@code long}. The JDK spins classes (lambda forms, a specialized stub) for each distinct function descriptor and
 * linker options; measured with the daemon's JVM flags, 30 distinct shapes cost ~1.8 MiB more metaspace, ~400
 * more loaded classes and ~75 ms more start-up than 30 handles of one shape. Linked by arity, Vigil's libc
 * functions need 12 shapes instead of 36, and a daemon loads ~300 fewer classes into ~0.6 MiB less metaspace.
 * This is sound on the 64-bit ABIs Vigil runs on (SysV x86-64, AAPCS64), where every integer or pointer argument
 * travels in a 64-bit register or stack slot:
 * <ul>
 *   <li>an {@code int} argument is passed as {@code (long) value}: the callee reads only the low 32 bits, and the
 *       sign-extension also satisfies compilers that expect narrower types extended to 32 bits;</li>
 *   <li>a pointer argument is passed as the address of a <em>native</em> segment: a heap segment's
 *       {@code address()} is an offset into its array, not a pointer (see {@link #address}). Unlike a segment
 *       argument, an address keeps nothing alive during the call: the caller must not close the segment's arena
 *       meanwhile, and must hold a segment of an automatic arena (in a field of a live object, say) until the call
 *       has returned, or the memory could be freed under the kernel;</li>
 *   <li>an {@code int} result must be narrowed with {@code (int)}: the upper 32 bits of the return register are
 *       undefined for it. {@code ssize_t} and {@code long} results are used whole; a pointer result becomes
 *       {@link MemorySegment#ofAddress}.</li>
 * </ul>
 * As {@code invokeExact} needs exact static types: {@code (int) (long) CLOSE.invokeExact(slot, (long) fd)}.
 */
final class Native {
    private Native() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture slot per thread: the event loop is single-threaded, the CLI is too, tests may not be. */
    private static final ThreadLocal<MemorySegment> SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    static MemorySegment errnoSlot() {
        return SLOT.get();
    }

    static int errno(MemorySegment slot) {
        return (int) ERRNO.get(slot, 0L);
    }

    /**
     * Links a libc function of {@code arity} arguments whose errno matters, as
     * {@code (MemorySegment errnoSlot, long...)long}.
     */
    static MethodHandle linkErrno(String name, int arity) {
        return LINKER.downcallHandle(symbol(name), longs(arity), CAPTURE_ERRNO);
    }

    /** Links a libc function that cannot fail, or reports failure in its return value, as {@code (long...)long}. */
    static MethodHandle link(String name, int arity) {
        return LINKER.downcallHandle(symbol(name), longs(arity));
    }

    /**
     * Links a variadic libc function whose errno matters, as {@code (MemorySegment errnoSlot, long...)long} with
     * the arguments from index {@code firstVariadic} on passed as C varargs. A call may pass 0 for variadic
     * arguments the function does not read, so one handle of the longest arity serves every use.
     */
    static MethodHandle linkVariadicErrno(String name, int arity, int firstVariadic) {
        return LINKER.downcallHandle(symbol(name), longs(arity), CAPTURE_ERRNO,
                Linker.Option.firstVariadicArg(firstVariadic));
    }

    /**
     * The address of {@code segment}, to pass as a pointer argument, for a segment that comes from a caller. A heap
     * segment or one whose arena is closed is refused, as the linker refuses them as segment arguments.
     */
    static long address(MemorySegment segment) {
        if (!segment.isNative()) throw new IllegalArgumentException("not a native segment: " + segment);
        if (!segment.scope().isAlive()) throw new IllegalStateException("arena closed: " + segment);
        return segment.address();
    }

    /** Like {@link #link}, for a function that older libcs lack: empty there. */
    static Optional<MethodHandle> linkIfPresent(String name, int arity) {
        return LIBC.find(name).map(symbol -> LINKER.downcallHandle(symbol, longs(arity)));
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new LinkageError("libc has no " + name));
    }

    private static FunctionDescriptor longs(int arity) {
        ValueLayout.OfLong[] arguments = new ValueLayout.OfLong[arity];
        Arrays.fill(arguments, ValueLayout.JAVA_LONG);
        return FunctionDescriptor.of(ValueLayout.JAVA_LONG, arguments);
    }

    // ---- Files relative to a directory fd, for DirFd ----
    // Root writes into directories that other users may write too (a service's log directory, its supervise/).
    // Every such file is reached through an fd held on its directory with O_NOFOLLOW, so a name someone swapped
    // for a symlink (or the directory itself, renamed and replaced) never leads root's write elsewhere; replaced
    // files are made with O_EXCL and renamed into place; modes and owners are set through the file's own fd.

    /** Linked on first use (a holder class), so a CLI command that writes no such file links none of them. */
    static final class At {
        private At() {}

        /** openat is variadic in its mode, like open. */
        static final MethodHandle OPENAT = linkVariadicErrno("openat", 4, 3);
        static final MethodHandle MKDIRAT = linkErrno("mkdirat", 3);
        static final MethodHandle MKFIFOAT = linkErrno("mkfifoat", 3);
        static final MethodHandle RENAMEAT = linkErrno("renameat", 4);
        static final MethodHandle UNLINKAT = linkErrno("unlinkat", 3);
        static final MethodHandle LINKAT = linkErrno("linkat", 5);
        static final MethodHandle STATX = linkErrno("statx", 5);
        static final MethodHandle PWRITE = linkErrno("pwrite", 4);
        static final MethodHandle FTRUNCATE = linkErrno("ftruncate", 2);
        static final MethodHandle FCHMOD = linkErrno("fchmod", 2);
        static final MethodHandle FCHOWN = linkErrno("fchown", 3);
        static final MethodHandle GETEUID = link("geteuid", 0);
    }

    // ---- Spawning straight into a cgroup, for Spawn ----
    // glibc 2.39 added posix_spawnattr_setcgroup_np: posix_spawn then clones with clone3(CLONE_INTO_CGROUP), so a
    // service's process is born in its cgroup. Without it vigil-exec must join the cgroup between fork and exec,
    // which costs every start an exec of the helper and a cgroup migration (a write lock that may wait for an RCU
    // grace period): most of what cgroup placement adds to a restart.

    /** Linked on first use: empty where libc is older than 2.39. */
    static final class IntoCgroup {
        private IntoCgroup() {}

        static final Optional<MethodHandle> SET_CGROUP = linkIfPresent("posix_spawnattr_setcgroup_np", 2);
    }

    // ---- Sockets of any family, for Sockets (socket activation) ----
    // UnixSocket links its own AF_UNIX calls for the control socket; socket units bind every family systemd does
    // (IPv4, IPv6, vsock, netlink), take the peer's address at accept for REMOTE_ADDR and the instance names, and
    // make FIFOs by path. Linked on first use, so a daemon without socket units links none of them.

    static final class Sock {
        private Sock() {}

        static final MethodHandle SOCKET = linkErrno("socket", 3);
        static final MethodHandle BIND = linkErrno("bind", 3);
        static final MethodHandle LISTEN = linkErrno("listen", 2);
        static final MethodHandle ACCEPT4 = linkErrno("accept4", 4);
        static final MethodHandle GETSOCKNAME = linkErrno("getsockname", 3);
        static final MethodHandle SETSOCKOPT = linkErrno("setsockopt", 5);
        static final MethodHandle MKFIFO = linkErrno("mkfifo", 2);
    }

    // ---- kcmp, for Fds.sameOpenFile (the fd store) ----
    // systemd keeps one copy of an fd a service stores twice (service_add_fd_store's same_fd), comparing open file
    // descriptions with kcmp(KCMP_FILE). glibc wraps neither kcmp nor, before 2.30, gettid: both go through
    // syscall(2). Linked on first use: only a service that stores fds needs them.

    static final class Kcmp {
        private Kcmp() {}

        static final MethodHandle SYSCALL = linkVariadicErrno("syscall", 6, 1);
    }

    // ---- The end of the system, for Mounts ----
    // vigil init unmounts (or makes read-only) every file system and detaches swap and loop devices before
    // reboot(2), as systemd-shutdown does: a disk left mounted read-write needs journal recovery at the next boot.

    /** Linked on first use: only an init that is ending the machine calls these. */
    static final class Unmount {
        private Unmount() {}

        static final MethodHandle UMOUNT2 = linkErrno("umount2", 2);
        static final MethodHandle MOUNT = linkErrno("mount", 5);
        static final MethodHandle SWAPOFF = linkErrno("swapoff", 1);
        /** ioctl is variadic in its argument. */
        static final MethodHandle IOCTL = linkVariadicErrno("ioctl", 3, 2);
    }

    // ---- The hardware watchdog, for WatchdogFd ----
    // vigil init and vigil daemon --watchdog-device set a watchdog's timeout with the WDIOC_SETTIMEOUT ioctl, as
    // systemd's RuntimeWatchdogSec= does; the petting and the magic close are plain writes (Fds). Its own holder,
    // linked on first use, so that a daemon without a watchdog links nothing for it.

    static final class Watchdog {
        private Watchdog() {}

        /** ioctl is variadic in its argument. */
        static final MethodHandle IOCTL = linkVariadicErrno("ioctl", 3, 2);
    }
}
