package vigil.os;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything a new process gets before it execs the program: one key of vigil-exec's command line per component
 * (see native/vigil-exec.c), or posix_spawn's own attributes when the spec {@linkplain #needsHelper needs nothing
 * more}. Empty optionals and lists mean "leave as inherited from Vigil".
 *
 * <p>Ids are numeric: names are resolved by whoever builds the spec, never in the child. Switching {@code uid}
 * does not touch the supplementary groups unless {@code groups} is given too, so a spec that drops root should
 * always name its groups (usually just the primary gid).
 *
 * @param program          the file to execve, used as given (no PATH search; relative to the working directory)
 * @param argv             the program's argv, argv[0] included
 * @param environment      the program's whole environment
 * @param fds              where the program finds Vigil's fds; fds 3 and up that are no target are closed
 * @param newSession       setsid() so a terminal's signals reach Vigil rather than every service
 * @param chroot           the new root directory; the working directory is then "/" unless given
 * @param workingDirectory the working directory, inside the chroot if any
 * @param umask            the file mode creation mask
 * @param nice             the absolute nice value, -20..19
 * @param oomScoreAdj      /proc/self/oom_score_adj, -1000..1000
 * @param rlimits          resource limits, applied in this order
 * @param groups           the supplementary groups; an empty list clears them
 * @param gid              the real, effective and saved gid
 * @param uid              the real, effective and saved uid
 * @param noNewPrivileges  PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities no longer raise privileges
 * @param listenPid        set LISTEN_PID to the program's own pid (socket activation)
 * @param pidVariables     more variables set to the program's own pid (WATCHDOG_PID), at most 4
 * @param before           a script run and waited for just before the exec, if its owner may execute it; its exit
 *                         status is ignored (runsv's {@code control/u})
 * @param cgroups          cgroup directories the process joins before anything else (the v2 one first, then v1
 *                         controllers' on a hybrid host), so no code of the service ever runs outside them
 * @param capabilities     the bounding set to drop, the securebits and the ambient set to raise
 */
public record ExecSpec(Path program, List<String> argv, Map<String, String> environment, List<FdMapping> fds,
                       boolean newSession, Optional<Path> chroot, Optional<Path> workingDirectory, OptionalInt umask,
                       OptionalInt nice, OptionalInt oomScoreAdj, List<Rlimit> rlimits, Optional<List<Integer>> groups,
                       OptionalInt gid, OptionalInt uid, boolean noNewPrivileges, boolean listenPid,
                       List<String> pidVariables, Optional<Path> before, List<Path> cgroups,
                       Capabilities capabilities) {
    public ExecSpec {
        Objects.requireNonNull(capabilities, "capabilities");
        Objects.requireNonNull(program, "program");
        argv = List.copyOf(argv);
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must hold at least argv[0]");
        environment = Map.copyOf(environment);
        fds = List.copyOf(fds);
        Objects.requireNonNull(chroot, "chroot");
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(umask, "umask");
        Objects.requireNonNull(nice, "nice");
        Objects.requireNonNull(oomScoreAdj, "oomScoreAdj");
        rlimits = List.copyOf(rlimits);
        groups = groups.map(List::copyOf);
        Objects.requireNonNull(gid, "gid");
        Objects.requireNonNull(uid, "uid");
        pidVariables = List.copyOf(pidVariables);
        if (pidVariables.size() > 4) throw new IllegalArgumentException("at most 4 pid variables");
        pidVariables.forEach(n -> {
            if (n.isEmpty() || n.indexOf('=') >= 0) throw new IllegalArgumentException("bad variable name: " + n);
            requireNoNul(n, "pidVariables");
        });

        // The helper's command line and the envp are C strings: a NUL would silently cut them short.
        requireNoNul(program.toString(), "program");
        argv.forEach(a -> requireNoNul(a, "argv"));
        environment.forEach((k, v) -> {
            if (k.isEmpty() || k.indexOf('=') >= 0) throw new IllegalArgumentException("bad variable name: " + k);
            requireNoNul(k, "environment");
            requireNoNul(v, "environment");
        });
        chroot.ifPresent(p -> requireNoNul(p.toString(), "chroot"));
        workingDirectory.ifPresent(p -> requireNoNul(p.toString(), "workingDirectory"));
        before.ifPresent(p -> requireNoNul(p.toString(), "before"));
        cgroups = List.copyOf(cgroups);
        cgroups.forEach(p -> requireNoNul(p.toString(), "cgroups"));
        var targets = new HashSet<Integer>();
        for (FdMapping m : fds) {
            if (!targets.add(m.target())) throw new IllegalArgumentException("fd " + m.target() + " mapped twice");
        }
        umask.ifPresent(m -> requireRange(m, 0, 0777, "umask"));
        nice.ifPresent(n -> requireRange(n, -20, 19, "nice"));
        oomScoreAdj.ifPresent(n -> requireRange(n, -1000, 1000, "oomScoreAdj"));
    }

    /**
     * The file descriptor {@code source} of Vigil appears as {@code target} in the program; when {@code kept},
     * {@code source} is an fd in the table of the spawner's keeper ({@link Spawner#keep}).
     */
    public record FdMapping(int target, int source, boolean kept) {
        public FdMapping {
            if (target < 0 || source < 0) throw new IllegalArgumentException("negative fd");
        }

        public FdMapping(int target, int source) {
            this(target, source, false);
        }
    }

    /**
     * One setrlimit(2): {@code resource} is one of the constants here, limits are unsigned and {@link #INFINITY}
     * means unlimited.
     */
    public record Rlimit(int resource, long soft, long hard) {
        public static final int CPU = 0, FSIZE = 1, DATA = 2, STACK = 3, CORE = 4, RSS = 5, NPROC = 6, NOFILE = 7,
                MEMLOCK = 8, AS = 9, LOCKS = 10, SIGPENDING = 11, MSGQUEUE = 12, NICE = 13, RTPRIO = 14, RTTIME = 15;
        /** RLIM_INFINITY, all bits set. */
        public static final long INFINITY = -1L;

        private static final String[] NAMES = {
            "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks", "sigpending",
            "msgqueue", "nice", "rtprio", "rttime"
        };

        public Rlimit {
            requireRange(resource, 0, NAMES.length - 1, "rlimit resource");
        }

        /** RES:SOFT:HARD as vigil-exec reads it, e.g. "nofile:1024:inf". */
        String render() {
            return NAMES[resource] + ":" + value(soft) + ":" + value(hard);
        }

        private static String value(long limit) {
            return limit == INFINITY ? "inf" : Long.toUnsignedString(limit);
        }
    }

    /**
     * The capability settings, each a mask with bit n for capability n; all zero changes nothing. vigil-exec applies
     * them in systemd's order around the switch of user: the bounding set and the securebits (with keep-caps when
     * the ambient set must outlive the switch) while still root, the ambient set after it.
     *
     * @param dropBounding capabilities to drop from the bounding set (PR_CAPBSET_DROP), within the kernel's
     * @param secureBits   securebits(7) flags (PR_SET_SECUREBITS); 0 leaves them alone
     * @param ambient      capabilities to raise in the ambient set (and first in the inheritable one)
     */
    public record Capabilities(long dropBounding, int secureBits, long ambient) {
        public static final Capabilities NONE = new Capabilities(0, 0, 0);

        public Capabilities {
            requireRange(secureBits, 0, 0xff, "secureBits");
        }

        boolean any() {
            return dropBounding != 0 || secureBits != 0 || ambient != 0;
        }
    }

    /** This spec with its fds taken from other sources: {@code source} gives each mapping's new source. */
    public ExecSpec withSources(java.util.function.ToIntFunction<FdMapping> source) {
        var moved = new ArrayList<FdMapping>(fds.size());
        for (FdMapping m : fds) moved.add(new FdMapping(m.target(), source.applyAsInt(m)));
        return new ExecSpec(program, argv, environment, moved, newSession, chroot, workingDirectory, umask, nice,
                oomScoreAdj, rlimits, groups, gid, uid, noNewPrivileges, listenPid, pidVariables, before, cgroups,
                capabilities);
    }

    /** A spec that runs {@code program} with {@code argv} and changes nothing else (an empty environment). */
    public static Builder builder(Path program, List<String> argv) {
        return new Builder(program, argv);
    }

    /**
     * Whether this spec needs vigil-exec: ids, limits, umask, nice, OOM score, chroot, no-new-privileges,
     * variables holding the pid and a script to run before the exec are beyond posix_spawn. Everything else (fds,
     * the working directory, a new session, the signals) posix_spawn applies itself, which spares the child an
     * exec of the helper.
     */
    public boolean needsHelper() {
        return needsHelperBesidesCgroups() || !cgroups.isEmpty();
    }

    /**
     * Whether it is only its one cgroup (the v2 one; v1 controllers' directories, on a hybrid host, are more) that
     * this spec needs vigil-exec for: posix_spawn can place the child there itself where libc can (see Spawn).
     */
    public boolean needsHelperOnlyForItsCgroup() {
        return cgroups.size() == 1 && !needsHelperBesidesCgroups();
    }

    private boolean needsHelperBesidesCgroups() {
        return chroot.isPresent() || umask.isPresent() || nice.isPresent() || oomScoreAdj.isPresent()
                || !rlimits.isEmpty() || groups.isPresent() || gid.isPresent() || uid.isPresent() || noNewPrivileges
                || listenPid || !pidVariables.isEmpty() || before.isPresent() || capabilities.any();
    }

    /** vigil-exec's arguments after its own argv[0], up to and including the program's argv. */
    public List<String> helperArguments() {
        var args = new ArrayList<String>(argv.size() + fds.size() + rlimits.size() + cgroups.size() + 12);
        for (Path cgroup : cgroups) args.add("cgroup=" + cgroup);
        for (FdMapping m : fds) args.add("fd=" + m.target() + ":" + m.source());
        if (newSession) args.add("setsid=1");
        chroot.ifPresent(p -> args.add("chroot=" + p));
        workingDirectory.ifPresent(p -> args.add("cwd=" + p));
        umask.ifPresent(m -> args.add("umask=" + Integer.toOctalString(m)));
        nice.ifPresent(n -> args.add("nice=" + n));
        oomScoreAdj.ifPresent(n -> args.add("oom=" + n));
        for (Rlimit r : rlimits) args.add("rlimit=" + r.render());
        groups.ifPresent(g -> {
            var text = new StringBuilder("groups=");
            for (int i = 0; i < g.size(); i++) {
                if (i > 0) text.append(',');
                text.append(Integer.toUnsignedString(g.get(i)));
            }
            args.add(text.toString());
        });
        gid.ifPresent(g -> args.add("gid=" + Integer.toUnsignedString(g)));
        uid.ifPresent(u -> args.add("uid=" + Integer.toUnsignedString(u)));
        if (capabilities.dropBounding() != 0) args.add("capbset-drop=" + Long.toHexString(capabilities.dropBounding()));
        if (capabilities.secureBits() != 0) args.add("securebits=" + capabilities.secureBits());
        if (capabilities.ambient() != 0) args.add("ambient=" + Long.toHexString(capabilities.ambient()));
        if (noNewPrivileges) args.add("nonewprivs=1");
        if (listenPid) args.add("listen-pid=1");
        for (String name : pidVariables) args.add("pid-env=" + name);
        before.ifPresent(p -> args.add("before=" + p));
        args.add("--");
        args.add(program.toString());
        args.addAll(argv);
        return args;
    }

    /** The environment as execve wants it: "NAME=value" strings. */
    public List<String> environmentEntries() {
        return entries(environment);
    }

    /** The environment as envp's "K=V" strings. */
    static List<String> entries(Map<String, String> environment) {
        var entries = new ArrayList<String>(environment.size());
        environment.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }

    private static void requireNoNul(String s, String what) {
        if (s.indexOf('\0') >= 0) throw new IllegalArgumentException(what + " contains NUL: " + s);
    }

    private static void requireRange(int value, int min, int max, String what) {
        if (value < min || value > max) throw new IllegalArgumentException(what + " out of range: " + value);
    }

    /** Collects the optional parts of a spec; every setter replaces what was set before, except the repeatable. */
    public static final class Builder {
        private final Path program;
        private final List<String> argv;
        private Map<String, String> environment = Map.of();
        private final Map<Integer, FdMapping> fds = new LinkedHashMap<>();
        private boolean newSession;
        private Optional<Path> chroot = Optional.empty();
        private Optional<Path> workingDirectory = Optional.empty();
        private OptionalInt umask = OptionalInt.empty();
        private OptionalInt nice = OptionalInt.empty();
        private OptionalInt oomScoreAdj = OptionalInt.empty();
        private final List<Rlimit> rlimits = new ArrayList<>();
        private Optional<List<Integer>> groups = Optional.empty();
        private OptionalInt gid = OptionalInt.empty();
        private OptionalInt uid = OptionalInt.empty();
        private boolean noNewPrivileges;
        private boolean listenPid;
        private List<String> pidVariables = List.of();
        private Optional<Path> before = Optional.empty();
        private final List<Path> cgroups = new ArrayList<>();
        private Capabilities capabilities = Capabilities.NONE;

        private Builder(Path program, List<String> argv) {
            this.program = program;
            this.argv = argv;
        }

        public Builder environment(Map<String, String> env) {
            environment = env;
            return this;
        }

        /** Vigil's fd {@code source} becomes the program's fd {@code target}; a later call for a target wins. */
        public Builder fd(int target, int source) {
            fds.put(target, new FdMapping(target, source));
            return this;
        }

        /** The fd the spawner keeps as {@code kept} becomes the program's fd {@code target}. */
        public Builder keptFd(int target, Spawner.Kept kept) {
            fds.put(target, new FdMapping(target, kept.fd(), kept.inKeeper()));
            return this;
        }

        public Builder newSession(boolean on) {
            newSession = on;
            return this;
        }

        public Builder chroot(Path root) {
            chroot = Optional.of(root);
            return this;
        }

        public Builder workingDirectory(Path dir) {
            workingDirectory = Optional.of(dir);
            return this;
        }

        public Builder umask(int mask) {
            umask = OptionalInt.of(mask);
            return this;
        }

        public Builder nice(int value) {
            nice = OptionalInt.of(value);
            return this;
        }

        public Builder oomScoreAdj(int value) {
            oomScoreAdj = OptionalInt.of(value);
            return this;
        }

        /** Adds a limit; see {@link Rlimit}. */
        public Builder rlimit(int resource, long soft, long hard) {
            rlimits.add(new Rlimit(resource, soft, hard));
            return this;
        }

        public Builder groups(List<Integer> list) {
            groups = Optional.of(list);
            return this;
        }

        public Builder gid(int value) {
            gid = OptionalInt.of(value);
            return this;
        }

        public Builder uid(int value) {
            uid = OptionalInt.of(value);
            return this;
        }

        public Builder noNewPrivileges(boolean on) {
            noNewPrivileges = on;
            return this;
        }

        public Builder listenPid(boolean on) {
            listenPid = on;
            return this;
        }

        public Builder pidVariables(List<String> names) {
            pidVariables = names;
            return this;
        }

        public Builder before(Path script) {
            before = Optional.of(script);
            return this;
        }

        /** Adds a cgroup directory to join before the exec, after those added before it (the v2 one first). */
        public Builder cgroup(Path directory) {
            cgroups.add(directory);
            return this;
        }

        public Builder capabilities(Capabilities sets) {
            capabilities = sets;
            return this;
        }

        public ExecSpec build() {
            return new ExecSpec(program, argv, environment, List.copyOf(fds.values()), newSession, chroot,
                    workingDirectory, umask, nice, oomScoreAdj, rlimits, groups, gid, uid, noNewPrivileges,
                    listenPid, pidVariables, before, cgroups, capabilities);
        }
    }
}
