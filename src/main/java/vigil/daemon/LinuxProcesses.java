package vigil.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import vigil.control.ControlPaths;
import vigil.loop.EventLoop;
import vigil.loop.Failures;
import vigil.model.Command;
import vigil.model.Credentials;
import vigil.model.ExecOptions;
import vigil.model.ResourceLimits;
import vigil.model.UnitSpec;
import vigil.os.Children;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.ExecSpec;
import vigil.os.ExitStatus;
import vigil.os.Fds;
import vigil.os.NotifySocket;
import vigil.os.OsException;
import vigil.os.Reaped;
import vigil.os.Rlimits;
import vigil.os.Signals;
import vigil.os.Spawn;
import vigil.os.Spawned;
import vigil.os.Spawner;
import vigil.service.ControlGroup;
import vigil.service.OutputLog;
import vigil.service.Pipe;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.Processes;
import vigil.service.RunningProcess;
import vigil.service.SpawnException;
import vigil.service.UnitOs;
import vigil.service.UnitSnapshot;
import vigil.socket.PassedFds;

/**
 * The state machines' {@link Processes}, for real: posix_spawn of vigil-exec, the exec-error and readiness pipes
 * watched on the loop, and every child (orphans too, as a subreaper) reaped when SIGCHLD arrives. A pid is never
 * signalled after it was reaped, so it can never hit a recycled pid.
 */
final class LinuxProcesses implements Processes, UnitOs {
    private static final int RLIMIT_NOFILE = 7;

    private final EventLoop loop;
    private final Spawner spawner;
    /** The open-files limit services get back, if Vigil raised its own; empty if they inherit Vigil's. */
    private final Optional<Rlimits.Limit> childOpenFiles;
    private final ServiceLogs logs;
    private final int devNull;
    private final Map<Integer, Child> children = new HashMap<>();
    /**
     * How many children may have a pidfd. Each supervised service needs three fds (lock, and control, which ok
     * names too, for runit's protocol; its log pipe's read end) and the open-files limit cannot always be raised
     * (no CAP_SYS_RESOURCE): pidfds, a fast path, take at most a fifth of the limit, and children beyond it are
     * reaped through SIGCHLD.
     */
    private final int pidfdBudget;
    /** Vigil's own pid: never a unit's main process. */
    private final int self = Children.getpid();
    private int pidfds;
    /** How long an orphan may stay a zombie: see {@link #childDied}. */
    private static final Duration ORPHAN_SWEEP_DELAY = Duration.ofMillis(50);
    /** The pending sweep for orphans, or null. */
    private EventLoop.Timer orphanSweep;
    private final Path notifyDirectory;
    private final UnitNotifySockets unitSockets;
    private long notifySockets;
    /** The socket units' fds, handed to a service's main process (socket activation); none until set. */
    private PassedFds.Source socketFds = service -> Optional.empty();
    private final NotifySocket.Buffers notifyBuffers = new NotifySocket.Buffers();
    /** How the services' processes are tracked: in cgroups, or not. */
    private ProcessTracking tracking = ProcessTracking.NONE;
    /** How long a stop waits before the final SIGKILL where a service sets no time (--default-timeout-stop). */
    private Duration defaultStopTimeout = Duration.ofSeconds(90);
    /** The units' resource control: none until the daemon has looked at the host's cgroups. */
    private ServiceResources resources;
    /** One buffer for every pipe read: all reads happen on the loop thread. */
    private final MemorySegment buffer = Arena.ofAuto().allocate(512);

    /**
     * @param childOpenFiles  the open-files limit Vigil itself started with: services get it back rather than the
     *                        raised limit Vigil needs for thousands of services
     * @param notifyDirectory where the sd_notify sockets of service directories with a {@code notify} file go
     * @param unitSockets     the units' sd_notify sockets
     */
    LinuxProcesses(EventLoop loop, Spawner spawner, Rlimits.Limit childOpenFiles, Path notifyDirectory,
                   UnitNotifySockets unitSockets, ServiceLogs logs) throws OsException {
        this.loop = loop;
        this.spawner = spawner;
        this.notifyDirectory = notifyDirectory;
        this.unitSockets = unitSockets;
        // Restoring the limit takes vigil-exec in every child; when Vigil did not raise its own, spawns can skip it.
        this.childOpenFiles = childOpenFiles.equals(Rlimits.openFiles()) ? Optional.empty()
                : Optional.of(childOpenFiles);
        this.logs = logs;
        this.devNull = Fds.open(Path.of("/dev/null"), Fds.O_RDWR, 0);
        this.pidfdBudget = (int) Math.min(Integer.MAX_VALUE, Rlimits.openFiles().soft() / 5);
        loop.onSignal(Signals.SIGCHLD, this::childDied);
    }

    /** Tracks the services' processes as {@code tracking} says, from now on. */
    void track(ProcessTracking tracking, Duration defaultStopTimeout) {
        this.tracking = tracking;
        this.defaultStopTimeout = defaultStopTimeout;
    }

    ProcessTracking tracking() {
        return tracking;
    }

    @Override
    public Optional<ControlGroup> controlGroup(String name) {
        return tracking.groupOf(name);
    }

    @Override
    public Optional<ControlGroup> controlGroup(String name, Optional<String> slice) {
        return tracking.groupOf(name, slice);
    }

    @Override
    public Duration defaultStopTimeout() {
        return defaultStopTimeout;
    }

    /** Applies units' resource limits through {@code resources} from now on. */
    void limitResources(ServiceResources serviceResources) {
        this.resources = serviceResources;
    }

    @Override
    public List<Path> resourceCgroups(UnitSpec spec) throws SpawnException {
        if (resources == null) return List.of();
        // Delegate= hands the cgroup to the user the unit runs as (User=, on its commands).
        return resources.prepare(spec.name(), spec.resources(), spec.commands(UnitSpec.Phase.START).stream()
                .findFirst().flatMap(c -> c.command().user()));
    }

    @Override
    public List<Path> resourceCgroups(String name, ResourceLimits limits) throws SpawnException {
        return resources == null ? List.of() : resources.prepare(name, limits);
    }

    @Override
    public long oomKills(String unit) {
        return resources == null ? 0 : resources.oomKills(unit);
    }

    @Override
    public void releaseResourceCgroups(String name) {
        if (resources != null) resources.release(name);
    }

    @Override
    public RunningProcess start(ProcessRequest request, ProcessObserver observer) throws SpawnException {
        Command command = request.command();
        ExecSpec.Builder spec = ExecSpec.builder(command.executable(), command.argv())
                .environment(command.environment())
                .workingDirectory(command.workingDirectory())
                .newSession(request.newSession());
        childOpenFiles.ifPresent(limit -> spec.rlimit(RLIMIT_NOFILE, limit.soft(), limit.hard()));
        command.user().ifPresent(user -> spec.groups(user.groups()).gid(user.gid()).uid(user.uid()));
        // Only a script that exists goes to vigil-exec (which runs it if its owner may execute it): without one,
        // the spawn needs no helper, and restarts skip its exec.
        request.before().filter(Files::exists).ifPresent(spec::before);
        applyOptions(spec, command.options(), command.user().map(Credentials::uid));
        spec.pidVariables(request.pidVariables());
        request.cgroups().forEach(spec::cgroup);
        ServiceLogs.Capture capture = capture(request);
        int[] readiness = null;
        int notifyFd = -1;
        Path notifyPath = null;
        Map<String, String> environment = command.environment();
        List<Integer> opened = new ArrayList<>(3);
        Spawned spawned;
        try {
            if (request.notifySocket()) {
                notifyPath = notifyDirectory.resolve("sv-" + ProcessHandle.current().pid() + "-" + ++notifySockets);
                notifyFd = openNotifySocket(notifyPath);
                var env = new HashMap<>(command.environment());
                env.put("NOTIFY_SOCKET", notifyPath.toString());
                spec.environment(env);
                environment = env;
            }
            mapStdio(spec, 0, request.stdin(), opened);
            mapStdio(spec, 1, request.stdout(), opened);
            mapStdio(spec, 2, request.stderr(), opened);
            Map<String, String> base = environment;
            request.socketsOf().flatMap(socketFds::fdsFor).ifPresent(passed -> passSockets(spec, passed, base));
            if (request.readinessFd().isPresent()) {
                readiness = Fds.pipe(0);
                Fds.setNonBlocking(readiness[0], true);
                spec.fd(request.readinessFd().getAsInt(), readiness[1]);
            }
            spawned = spawner.spawn(spec.build());
        } catch (OsException e) {
            if (readiness != null) {
                Fds.close(readiness[0]);
                Fds.close(readiness[1]);
            }
            if (notifyFd >= 0) closeNotifySocket(notifyFd, notifyPath);
            throw new SpawnException(e.getMessage(), e.errno());
        } finally {
            opened.forEach(Fds::close);
        }
        if (capture != null) capture.writerStarted(command.user().map(Credentials::uid).orElse(-1));
        Child child = new Child(spawned.pid(), observer, capture);
        children.put(child.pid, child);
        child.exitWatch = watchExit(child.pid);
        if (spawned.errorPipeReadFd().isPresent()) {
            child.errorPipe = watchPipe(spawned.errorPipeReadFd().getAsInt(), child::readErrorPipe);
        } else {
            // Spawned directly: the exec has already succeeded. Told once the caller knows of the process.
            child.execPending = true;
            loop.execute(child::confirmExec);
        }
        if (readiness != null) {
            Fds.close(readiness[1]);
            child.readinessPipe = watchPipe(readiness[0], child::readReadinessPipe);
        }
        if (notifyFd >= 0) {
            child.notifySocket = watchPipe(notifyFd, child::readNotifySocket);
            child.notifyPath = notifyPath;
        }
        return child;
    }

    /**
     * Watches a process Vigil did not spawn. As subreaper Vigil inherits a forking daemon once its parent exits,
     * so it is usually a child to reap; one that is not (a pid named by MAINPID=) is seen to end through its pidfd,
     * without a status, which counts as exit 0 as in systemd.
     *
     * <p>The pidfd is taken first and the process is checked after: checked by pid, a process that died meanwhile
     * could have passed its pid to another, which Vigil would then signal at the next stop. Once checked, the pidfd
     * must still name a live process, and it is the one signals go through.
     */
    @Override
    public RunningProcess adopt(int pid, List<RunningProcess> unitProcesses, Optional<ControlGroup> group,
                                boolean vouched, ProcessObserver observer) throws SpawnException {
        if (pid == self) throw refused("pid " + pid + " is Vigil itself");
        if (pid == 1) throw refused("pid 1 is the init process");
        Child known = children.get(pid);
        // A child of Vigil's is pinned already: its pid stays its own until Vigil reaps it.
        int pidfd = known != null ? -1 : pin(pid);
        try {
            check(pid, pidfd, unitProcesses, group, vouched);
        } catch (SpawnException e) {
            if (pidfd >= 0) Fds.close(pidfd);
            throw e;
        }
        if (known != null) {
            // Already ours (a spawned process named again by MAINPID=): one observer per child, the newest.
            known.observer = observer;
            known.released = false;
            return known;
        }
        Child child = new Child(pid, observer, null);
        child.adopted = true;
        child.exitWatch = watchPinned(pid, pidfd);
        children.put(pid, child);
        return child;
    }

    @Override
    public RunningProcess resume(int pid, Stdio stdout, Stdio stderr, ProcessObserver observer)
            throws SpawnException {
        if (children.containsKey(pid)) throw new SpawnException("pid " + pid + " is taken over twice", Errno.EEXIST);
        if (parentOf(pid) != Children.getpid()) {
            throw new SpawnException("pid " + pid + " is no longer a child of this daemon", Errno.ECHILD);
        }
        ServiceLogs.Capture capture = stdout instanceof Stdio.Log l ? (ServiceLogs.Capture) l.log()
                : stderr instanceof Stdio.Log l ? (ServiceLogs.Capture) l.log() : null;
        if (capture != null) capture.writerStarted(userOf(pid));
        Child child = new Child(pid, observer, capture);
        children.put(pid, child);
        // A process that died during the exec is a zombie: its new pidfd is readable at once, and it is reaped.
        child.exitWatch = watchExit(pid);
        return child;
    }

    @Override
    public void release(RunningProcess process) {
        Child child = (Child) process;
        if (children.get(child.pid) == child) child.released = true;
    }

    @Override
    public OptionalLong startTicks(RunningProcess process) {
        Child child = (Child) process;
        if (child.reaped || children.get(child.pid) != child) return OptionalLong.empty();
        long ticks = startTicksOf(child.pid);
        try {
            // An adopted process is no child, whose pid would stay its own until reaped: its pidfd must show it
            // still alive after the read, or the pid may be another process's by then.
            if (ticks < 0 || child.adopted && child.exitWatch != null
                    && !Children.pidfdSendSignal(child.exitWatch.fd(), 0)) {
                return OptionalLong.empty();
            }
        } catch (OsException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(ticks);
    }

    @Override
    public RunningProcess retake(UnitSnapshot.Main main, Stdio stdout, ProcessObserver observer)
            throws SpawnException {
        int pid = main.pid();
        if (children.containsKey(pid)) throw new SpawnException("pid " + pid + " is taken over twice", Errno.EEXIST);
        // Pinned first, then checked: a pid read after the pin is the pinned process's, or the check fails.
        int pidfd = pin(pid);
        try {
            if (startTicksOf(pid) != main.startTicks()) {
                throw new SpawnException("pid " + pid + " is another process now (it started later)", Errno.ESRCH);
            }
            if (parentOf(pid) == self) {
                Fds.close(pidfd);
                pidfd = -1;
                return resume(pid, stdout, stdout, observer);
            }
            if (!Children.pidfdSendSignal(pidfd, 0)) throw new SpawnException("no such process " + pid, Errno.ESRCH);
        } catch (OsException e) {
            Fds.close(pidfd);
            throw new SpawnException("cannot check pid " + pid + ": " + e.getMessage(), e.errno());
        } catch (SpawnException e) {
            if (pidfd >= 0) Fds.close(pidfd);
            throw e;
        }
        Child child = new Child(pid, observer, null);
        child.adopted = true;
        child.exitWatch = watchPinned(pid, pidfd);
        children.put(pid, child);
        return child;
    }

    /**
     * Sends {@code signal} to the process {@code main} records, through a pidfd, if that pid is still that process;
     * false if not (gone, or its pid is another's now).
     */
    boolean signalIfSame(UnitSnapshot.Main main, int signal) {
        int pidfd;
        try {
            pidfd = Children.pidfdOpen(main.pid());
        } catch (OsException e) {
            return false;
        }
        try {
            return startTicksOf(main.pid()) == main.startTicks() && Children.pidfdSendSignal(pidfd, signal);
        } catch (OsException e) {
            return false;
        } finally {
            Fds.close(pidfd);
        }
    }

    /** When {@code pid} started, in clock ticks since boot ({@code /proc/PID/stat}'s field 22); -1 if it is gone. */
    private static long startTicksOf(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[22 - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Whom a handed-over process writes its log as, for {@link ServiceLogs.Capture#writerStarted}: the owner of
     * its /proc directory (its effective uid), or -1 (Vigil) when that is Vigil's own user or cannot be read.
     */
    private static int userOf(int pid) {
        try {
            int uid = (Integer) Files.getAttribute(Path.of("/proc", Integer.toString(pid)), "unix:uid");
            return uid == ControlPaths.currentUid() ? -1 : uid;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The parent pid of {@code pid} from /proc; 0 if it is gone. */
    private static int parentOf(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so the fields follow the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
            return Integer.parseInt(fields[1]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Why the children cannot be handed over to a new daemon now, if they cannot: a process that is no service's
     * running {@code run} (a finish, a probe, a control script), or one whose exec or readiness is not settled.
     */
    Optional<String> notQuiet(java.util.Set<Integer> servicePids) {
        for (Child child : children.values()) {
            if (child.released) continue;
            if (!servicePids.contains(child.pid)) {
                return Optional.of("pid " + child.pid + " (a finish, check or control script) is running");
            }
            if (child.errorPipe != null || child.execPending || child.readinessPipe != null
                    || (child.notifySocket != null && !child.notifiedReady)) {
                return Optional.of("pid " + child.pid + " has not finished starting");
            }
        }
        return Optional.empty();
    }

    /**
     * Before the exec: the sd_notify sockets of service directories that are ready have nothing more to tell
     * (readiness is all Vigil reads from them), so they are closed and removed, not handed over.
     */
    void closeReadySockets() {
        for (Child child : children.values()) {
            if (child.notifySocket == null) continue;
            if (child.notifySocket.registration() != null) child.notifySocket.registration().cancel();
            closeNotifySocket(child.notifySocket.fd(), child.notifyPath);
            child.notifySocket = null;
        }
    }

    /** The fds of a pair's pipe: {read end, write end}, -1 for one closed. */
    static int[] ends(Pipe pipe) {
        LinuxPipe p = (LinuxPipe) pipe;
        return new int[] {p.readEnd, p.writeEnd};
    }

    /** A pair's pipe handed over by the old daemon. */
    static Pipe adoptPipe(int readEnd, int writeEnd) {
        return new LinuxPipe(readEnd, writeEnd);
    }

    /** Refuses a process outside the unit unless vouched for; then checks that the pinned one still lives. */
    private void check(int pid, int pidfd, List<RunningProcess> unitProcesses, Optional<ControlGroup> group,
                       boolean vouched) throws SpawnException {
        try {
            if (!vouched && group.isPresent() && !tracking.inGroup(pid, group.get())) {
                throw refused("pid " + pid + " is not in the unit's cgroup " + group.get().name());
            }
            if (!vouched && group.isEmpty() && !belongs(pid, unitProcesses)) {
                throw refused("pid " + pid + " is not one of the unit's processes, nor descends from one");
            }
            if (pidfd >= 0 && !Children.pidfdSendSignal(pidfd, 0)) {
                throw new SpawnException("no such process " + pid, Errno.ESRCH);
            }
        } catch (OsException e) {
            throw new SpawnException("cannot check pid " + pid + ": " + e.getMessage(), e.errno());
        }
    }

    private static SpawnException refused(String why) {
        return new SpawnException(why, Errno.EPERM);
    }

    /** A pidfd for {@code pid}, for the check and then the watch. */
    private static int pin(int pid) throws SpawnException {
        try {
            return Children.pidfdOpen(pid);
        } catch (OsException e) {
            if (e.errno() == Errno.ESRCH) throw new SpawnException("no such process " + pid, Errno.ESRCH);
            throw new SpawnException("cannot check pid " + pid + ": " + e.getMessage(), e.errno());
        }
    }

    /**
     * Without cgroups, the process's ancestry decides (see {@link Ancestry}), from the unit's processes that are
     * pinned: Vigil's unreaped children, and adopted ones through their pidfd, which must still be live after the
     * walk. Only where the unit has no cgroup.
     */
    private boolean belongs(int pid, List<RunningProcess> unitProcesses) throws OsException {
        Set<Integer> anchors = new HashSet<>();
        List<Child> adopted = new ArrayList<>();
        for (RunningProcess p : unitProcesses) {
            if (!(p instanceof Child c) || c.reaped || children.get(c.pid) != c) continue;
            if (!c.adopted) {
                anchors.add(c.pid);
            } else if (c.exitWatch != null) {
                anchors.add(c.pid);
                adopted.add(c);
            }
        }
        if (!Ancestry.belongs(pid, anchors, self)) return false;
        for (Child c : adopted) {
            if (!Children.pidfdSendSignal(c.exitWatch.fd(), 0)) return false;
        }
        return true;
    }

    @Override
    public int processGroupOf(int pid) {
        return ForkedOrphans.processGroupOf(pid);
    }

    @Override
    public List<Integer> forkedOrphans(Optional<ControlGroup> group, long sinceTicks) {
        List<Integer> orphans = new ArrayList<>();
        for (int pid : group.isPresent() ? group.get().pids() : ForkedOrphans.allPids()) {
            if (children.containsKey(pid) || !ForkedOrphans.liveChildOf(pid, self)) continue;
            if (group.isEmpty() && startTicksOf(pid) < sinceTicks) continue;
            orphans.add(pid);
        }
        return orphans;
    }

    @Override
    public Optional<UnitOs.PidFile> readPidFile(Path file) {
        return PidFiles.read(file);
    }

    @Override
    public boolean signalGroup(int pgid, int signal) {
        try {
            return pgid > 1 && Children.signalGroup(pgid, signal);
        } catch (OsException e) {
            return false;
        }
    }

    @Override
    public boolean holds(UnitSpec.Condition condition) {
        return UnitConditions.holds(condition);
    }

    @Override
    public Map<String, String> readEnvironmentFile(Path file) throws SpawnException {
        return UnitEnvironmentFiles.read(file);
    }

    @Override
    public void makeDirectories(List<UnitSpec.Directory> directories) throws SpawnException {
        UnitDirectories.make(directories);
    }

    @Override
    public void removeDirectories(List<UnitSpec.Directory> directories) {
        UnitDirectories.remove(directories);
    }

    @Override
    public Optional<Path> openNotifySocket(String unit, NotifyReceiver receiver) {
        return unitSockets.open(unit, receiver);
    }

    @Override
    public void closeNotifySocket(String unit) {
        unitSockets.close(unit);
    }

    @Override
    public Pipe openPipe() throws SpawnException {
        try {
            int[] ends = Fds.pipe(0);
            return new LinuxPipe(ends[0], ends[1]);
        } catch (OsException e) {
            throw new SpawnException(e.getMessage(), e.errno());
        }
    }

    @Override
    public OutputLog openLog(String name, Optional<Path> directory) throws SpawnException {
        return logs.open(name, directory);
    }

    /** The built-in log the process writes to, if it does; a request has at most one (stdout and stderr share it). */
    private static ServiceLogs.Capture capture(ProcessRequest request) {
        if (request.stdout() instanceof Stdio.Log l) return (ServiceLogs.Capture) l.log();
        if (request.stderr() instanceof Stdio.Log l) return (ServiceLogs.Capture) l.log();
        return null;
    }

    /** The options of a unit's exec context; a later rlimit for a resource wins over Vigil's nofile default. */
    /** Where the socket units' fds come from (socket activation). */
    void passSocketsFrom(PassedFds.Source source) {
        socketFds = source;
    }

    /**
     * sd_listen_fds(3): the fds at 3.. with LISTEN_FDS and LISTEN_FDNAMES; LISTEN_PID is the program's own pid,
     * which only vigil-exec knows. An Accept=yes connection is also the program's stdin and stdout.
     */
    private static void passSockets(ExecSpec.Builder spec, PassedFds passed, Map<String, String> base) {
        var env = new HashMap<>(base);
        env.putAll(passed.environment());
        env.put("LISTEN_FDS", Integer.toString(passed.fds().size()));
        env.put("LISTEN_FDNAMES", String.join(":", passed.names()));
        env.remove("LISTEN_PID");
        spec.environment(env);
        for (int i = 0; i < passed.fds().size(); i++) spec.fd(3 + i, passed.fds().get(i));
        passed.connection().ifPresent(fd -> spec.fd(0, fd).fd(1, fd));
        spec.listenPid(true);
    }

    private static void applyOptions(ExecSpec.Builder spec, ExecOptions options, Optional<Integer> uid) {
        options.rootDirectory().ifPresent(spec::chroot);
        options.umask().ifPresent(spec::umask);
        options.nice().ifPresent(spec::nice);
        options.oomScoreAdj().ifPresent(spec::oomScoreAdj);
        for (ExecOptions.Limit limit : options.rlimits()) spec.rlimit(limit.resource(), limit.soft(), limit.hard());
        spec.noNewPrivileges(options.noNewPrivileges());
        spec.capabilities(KernelCapabilities.spec(options.capabilities(), uid.filter(u -> u != 0).isPresent()));
    }

    /** Maps one standard stream; a file is opened here and its fd, added to {@code opened}, closed after spawn. */
    private static int openNotifySocket(Path path) throws OsException {
        try {
            NotifyDirectory.make(path.getParent());
        } catch (IOException e) {
            throw new OsException("mkdir", path.getParent().toString(), Errno.EACCES);
        }
        return NotifySocket.open(path);
    }

    private static void closeNotifySocket(int fd, Path path) {
        Fds.close(fd);
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A stale socket file in Vigil's runtime directory does no harm; its name is never reused.
        }
    }

    private void mapStdio(ExecSpec.Builder spec, int target, Stdio stdio, List<Integer> opened) throws OsException {
        switch (stdio) {
            case Stdio.Inherit i -> {}
            case Stdio.Null n -> spec.fd(target, devNull);
            case Stdio.PipeReadEnd p -> spec.fd(target, fdOr(((LinuxPipe) p.pipe()).readEnd));
            case Stdio.PipeWriteEnd p -> spec.fd(target, fdOr(((LinuxPipe) p.pipe()).writeEnd));
            case Stdio.File f -> {
                int flags = Fds.O_CLOEXEC | switch (f.mode()) {
                    case READ -> Fds.O_RDONLY;
                    case WRITE -> Fds.O_WRONLY | Fds.O_CREAT;
                    case APPEND -> Fds.O_WRONLY | Fds.O_CREAT | Fds.O_APPEND;
                    case TRUNCATE -> Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC;
                };
                int fd = Fds.open(f.path(), flags, 0644);
                opened.add(fd);
                spec.fd(target, fd);
            }
            case Stdio.Log l -> spec.keptFd(target, ((ServiceLogs.Capture) l.log()).writeEnd());
        }
    }

    /** A closed pipe end reads as /dev/null: a finish that runs after the logger pipe closed still has stdio. */
    private int fdOr(int fd) {
        return fd >= 0 ? fd : devNull;
    }

    private WatchedPipe watchPipe(int fd, Runnable onReadable) {
        try {
            return new WatchedPipe(fd, loop.watch(fd, Epoll.EPOLLIN, events -> onReadable.run()));
        } catch (OsException e) {
            // Out of epoll room: read the pipe when the child is reaped instead.
            return new WatchedPipe(fd, null);
        }
    }

    /**
     * A pidfd becomes readable when its process exits: the fast path to the loop. SIGCHLD is the backstop (for
     * orphans, and if no fd is left for a pidfd), and its sweep looks at every child.
     */
    private WatchedPipe watchExit(int pid) {
        if (pidfds >= pidfdBudget) return null;
        try {
            return watchPinned(pid, Children.pidfdOpen(pid));
        } catch (OsException e) {
            return null;
        }
    }

    /** Watches {@code pidfd} (then owned here) if the budget allows; closed, and null, if not. */
    private WatchedPipe watchPinned(int pid, int pidfd) {
        if (pidfds >= pidfdBudget) {
            Fds.close(pidfd);
            return null;
        }
        WatchedPipe watch = watchPipe(pidfd, () -> reap(pid));
        if (watch.registration() == null) {
            // Out of epoll room: a pidfd not watched tells of nothing; SIGCHLD's sweep reaps the child.
            Fds.close(pidfd);
            return null;
        }
        pidfds++;
        return watch;
    }

    /** Reaps one known child: waitid(P_PID) looks at that child only, where P_ALL scans all of them. */
    private void reap(int pid) {
        try {
            Optional<ExitStatus> status = Children.waitPid(pid, false);
            if (status.isEmpty()) return;
            Child child = children.remove(pid);
            if (child != null) child.reaped(new Reaped(pid, status.get()));
        } catch (OsException e) {
            // ECHILD: already reaped by the SIGCHLD sweep, which told its observer; or adopted and no child of
            // Vigil's, so its end is all there is to know.
            Child child = children.get(pid);
            if (child != null && child.adopted) {
                children.remove(pid);
                child.reaped(new Reaped(pid, ExitStatus.exited(0)));
            }
        }
    }

    /**
     * SIGCHLD: a child of Vigil's died, or an orphan that Vigil adopted as subreaper. While every child Vigil knows
     * has a pidfd, which tells of its exit, the signal can only matter for orphans, and their sweep waits a little:
     * it makes the kernel look at every child (a millisecond at 1000 services), and done at once after a service's
     * death it took the CPU that the restarted service needs. Deaths in the meantime share one sweep.
     */
    private void childDied() {
        if (children.size() > pidfds) {
            reapAll();
        } else if (orphanSweep == null) {
            orphanSweep = loop.schedule(ORPHAN_SWEEP_DELAY, () -> {
                orphanSweep = null;
                reapAll();
            });
        }
    }

    /**
     * Reaps every child that has exited, ours or orphans, then tells the observers of ours. All are reaped first:
     * an observer that throws (a bug) must not leave the other dead children unreaped until the next SIGCHLD, which
     * may never come, nor keep the ones already reaped from ever being told. Each is told, and the first failure
     * is thrown (to the loop's reporter) once all were.
     */
    void reapAll() {
        List<Death> dead = new ArrayList<>();
        Failures failures = new Failures();
        try {
            for (Optional<Reaped> reaped = reapOne(); reaped.isPresent(); reaped = reapOne()) {
                Child child = children.remove(reaped.get().pid());
                if (child != null) dead.add(new Death(child, reaped.get()));
            }
        } catch (OsException e) {
            // Those reaped so far are still told: their pids are free for reuse, and nothing else will tell.
            failures.add(new IllegalStateException("waitid failed: " + e.getMessage(), e));
        }
        for (Death d : dead) failures.attempt(() -> d.child().reaped(d.how()));
        if (resources != null) failures.attempt(resources::retryReleases);
        failures.throwIfAny();
    }

    /**
     * Reaps one exited child. With cgroups, an orphan (a process no service started, reparented to Vigil as
     * subreaper or PID 1) is looked at before it is reaped, while its /proc entry still names its cgroup, so the log
     * says whose it was.
     */
    private Optional<Reaped> reapOne() throws OsException {
        if (tracking.cgroups().isEmpty()) return Children.waitAny();
        Optional<Reaped> exited = Children.peekAny();
        if (exited.isEmpty()) return exited;
        int pid = exited.get().pid();
        Optional<String> owner = children.containsKey(pid) ? Optional.empty() : tracking.serviceOf(pid);
        Optional<ExitStatus> status = Children.waitPid(pid, false);
        if (status.isEmpty()) return Children.waitAny();
        owner.ifPresent(service -> tracking.orphanReaped(service, pid, status.get()));
        return Optional.of(new Reaped(pid, status.get()));
    }

    /** A child of ours that {@link #reapAll} reaped, and how it ended: its observer is told after the sweep. */
    private record Death(Child child, Reaped how) {}

    /** An fd Vigil polls on the loop (a pipe end or a pidfd), closed once it is of no more use. */
    private record WatchedPipe(int fd, EventLoop.Registration registration) {
        void close() {
            if (registration != null) registration.cancel();
            Fds.close(fd);
        }
    }

    private final class Child implements RunningProcess {
        final int pid;
        ProcessObserver observer;
        /** Not spawned by Vigil: a forking daemon's main process, or a MAINPID=. */
        boolean adopted;
        /** No unit follows it any more (see {@link #release}): it is only reaped. */
        boolean released;
        /** The built-in log its output goes to, or null. */
        ServiceLogs.Capture capture;
        WatchedPipe exitWatch;
        WatchedPipe errorPipe;
        WatchedPipe readinessPipe;
        WatchedPipe notifySocket;
        Path notifyPath;
        boolean notifiedReady;
        final ByteArrayOutputStream errorReport = new ByteArrayOutputStream();
        boolean reaped;
        /** A direct spawn's exec succeeded and the observer has not heard yet. */
        boolean execPending;

        Child(int pid, ProcessObserver observer, ServiceLogs.Capture capture) {
            this.pid = pid;
            this.observer = observer;
            this.capture = capture;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Optional<String> signal(int signal) {
            if (reaped) return Optional.empty();
            try {
                // Both say ESRCH (false) for a process that is gone: its exit is on its way to the observer.
                if (exitWatch != null) Children.pidfdSendSignal(exitWatch.fd(), signal);
                else Children.sendSignal(pid, signal);
                return Optional.empty();
            } catch (OsException e) {
                // EPERM (it took a uid this Vigil may not signal), or EINVAL: the state machine reports it.
                return Optional.of(Errno.describe(e.errno()));
            }
        }

        /**
         * EOF on the error pipe means exec succeeded (its write end is close-on-exec, and the helper writes only on
         * failure); a report means it failed (the exit follows).
         */
        void readErrorPipe() {
            long n;
            while (errorPipe != null && (n = readSome(errorPipe.fd())) != -1) {
                if (n > 0) {
                    errorReport.write(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, (int) n);
                    continue;
                }
                errorPipe.close();
                errorPipe = null;
                if (errorReport.size() == 0) {
                    observer.execSucceeded();
                    continue;
                }
                byte[] report = errorReport.toByteArray();
                var failure = Spawn.parseFailure(report);
                if (failure.isPresent()) observer.execFailed(failure.get().errno(), failure.get().describe());
                else observer.execFailed(0, "vigil-exec failed: " + new String(report, StandardCharsets.UTF_8));
            }
        }

        /** The first newline on the readiness fd means ready (s6's notification-fd); then the pipe is done. */
        void readReadinessPipe() {
            long n;
            while (readinessPipe != null && (n = readSome(readinessPipe.fd())) != -1) {
                boolean ready = false;
                for (long i = 0; i < n && !ready; i++) ready = buffer.get(ValueLayout.JAVA_BYTE, i) == '\n';
                if (n == 0 || ready) {
                    closeReadinessPipe();
                    if (ready) observer.ready();
                }
            }
        }

        /** sd_notify from a service directory with a {@code notify} file: READY=1 is its readiness. */
        void readNotifySocket() {
            try {
                for (var d = NotifySocket.receive(notifySocket.fd(), notifyBuffers); d.isPresent();
                     d = NotifySocket.receive(notifySocket.fd(), notifyBuffers)) {
                    if (!notifiedReady && List.of(d.get().text().split("\n")).contains("READY=1")) {
                        notifiedReady = true;
                        observer.ready();
                    }
                }
            } catch (OsException e) {
                // The socket failed: readiness cannot come any more, and the exit still will.
            }
        }

        private void closeReadinessPipe() {
            if (readinessPipe == null) return;
            readinessPipe.close();
            readinessPipe = null;
        }

        void reaped(Reaped how) {
            reaped = true;
            if (exitWatch != null) {
                exitWatch.close();
                pidfds--;
            }
            // What the child wrote before it died is read now, so its events come before its exit. The error
            // pipe is surely at EOF (its write end is close-on-exec); the readiness pipe may still be held open
            // by the service's own children, so it is read once more and then given up.
            confirmExec();
            readErrorPipe();
            readReadinessPipe();
            closeReadinessPipe();
            if (notifySocket != null) {
                readNotifySocket();
                if (notifySocket.registration() != null) notifySocket.registration().cancel();
                closeNotifySocket(notifySocket.fd(), notifyPath);
                notifySocket = null;
            }
            // Likewise its last output: logged (and a partial last line ended, if no other writer is left) before
            // a restart writes more.
            if (capture != null) capture.afterExit();
            observer.exited(how.status());
        }

        void confirmExec() {
            if (!execPending) return;
            execPending = false;
            observer.execSucceeded();
        }

        /** Bytes read into the buffer, 0 at EOF, -1 if nothing is there yet; an error counts as EOF. */
        private long readSome(int fd) {
            try {
                return Fds.read(fd, buffer, buffer.byteSize());
            } catch (OsException e) {
                return 0;
            }
        }
    }

    /** The long-lived pipe between a service and its logger. Vigil keeps both ends; children get copies. */
    private static final class LinuxPipe implements Pipe {
        int readEnd;
        int writeEnd;

        LinuxPipe(int readEnd, int writeEnd) {
            this.readEnd = readEnd;
            this.writeEnd = writeEnd;
        }

        @Override
        public void closeWriteEnd() {
            Fds.close(writeEnd);
            writeEnd = -1;
        }

        @Override
        public void close() {
            closeWriteEnd();
            Fds.close(readEnd);
            readEnd = -1;
        }
    }
}
