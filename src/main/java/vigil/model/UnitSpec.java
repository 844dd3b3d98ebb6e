package vigil.model;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import vigil.os.ExitStatus;

/**
 * Everything Vigil needs to run one systemd {@code .service} unit, whatever files it came from: the unit loader's
 * typed sections reduced to what the unit state machine acts on. Durations that systemd calls {@code infinity}
 * are empty optionals.
 *
 * @param name             the unit's full name, {@code foo.service}
 * @param source           the fragment it was loaded from, for status
 * @param commands         the Exec*= lists by phase; phases without commands are absent. A command's environment is
 *                         what the unit file says, before {@code environmentFiles} and {@code unsetEnvironment} are
 *                         applied at each run
 * @param pidFile          for {@link Type#FORKING}: where the daemon writes its pid
 * @param reloadSignal     what {@link Type#NOTIFY_RELOAD} sends on reload (SIGHUP)
 * @param watchdog         {@code WatchdogSec=}; empty when off
 * @param environmentFiles {@code EnvironmentFile=}, in order: read before each command runs, over the commands'
 *                         own environment
 * @param unsetEnvironment {@code UnsetEnvironment=}: {@code VAR} or {@code VAR=VALUE}, removed from each command's
 *                         environment as the last step
 * @param resources        its cgroup's limits, slice and OOM policy (systemd.resource-control(5))
 * @param critical         {@code X-Vigil-Critical=yes}: when it goes down for good, the daemon stops everything
 *                         and exits with its main process's exit code (a container's end)
 * @param guessMainPid     {@code GuessMainPID=}: for {@link Type#FORKING} without {@code pidFile}, take the one
 *                         process the start left behind as the main process
 * @param busName          {@code BusName=}: for {@link Type#DBUS}, the name whose owner makes the unit ready
 */
public record UnitSpec(
        String name,
        Path source,
        Type type,
        boolean remainAfterExit,
        Optional<Path> pidFile,
        Map<Phase, List<UnitCommand>> commands,
        Restart restart,
        Duration restartSec,
        int restartSteps,
        Optional<Duration> restartMaxDelay,
        ExitStatuses successExitStatus,
        ExitStatuses restartPreventExitStatus,
        ExitStatuses restartForceExitStatus,
        Optional<Duration> startLimitInterval,
        int startLimitBurst,
        Optional<Duration> timeoutStart,
        Optional<Duration> timeoutStop,
        Optional<Duration> timeoutAbort,
        Optional<Duration> watchdog,
        NotifyAccess notifyAccess,
        int reloadSignal,
        Kill kill,
        Stdio stdin,
        Stdio stdout,
        Stdio stderr,
        List<Directory> directories,
        List<Condition> conditions,
        List<EnvironmentFile> environmentFiles,
        List<String> unsetEnvironment,
        ResourceLimits resources,
        FdStore fdStore,
        boolean critical,
        boolean guessMainPid,
        Optional<String> busName) implements ServiceSpec {

    /**
     * The unit's fd store (sd_notify(3) {@code FDSTORE=1}): at most {@code max} fds ({@code FileDescriptorStoreMax=},
     * 0 refusing every one, as systemd), kept as {@code preserve} says ({@code FileDescriptorStorePreserve=}).
     */
    public record FdStore(int max, Preserve preserve) {
        public static final FdStore NONE = new FdStore(0, Preserve.RESTART);

        public FdStore {
            Objects.requireNonNull(preserve, "preserve");
            if (max < 0) throw new IllegalArgumentException("FileDescriptorStoreMax= below 0");
        }

        /** {@code no}: released at every stop; {@code restart}: kept while a start follows; {@code yes}: kept. */
        public enum Preserve { NO, RESTART, YES }
    }

    /**
     * One {@code Condition*=} that Vigil evaluates before a start; a unit whose conditions do not hold is skipped,
     * not failed. The checks Vigil evaluates are those on the file system, {@link #EVALUATED}.
     *
     * @param check    the part after {@code Condition}: {@code PathExists}, {@code DirectoryNotEmpty}...
     * @param trigger  the {@code |} prefix: among triggering conditions, one holding is enough
     * @param negate   the {@code !} prefix
     * @param argument the absolute path, specifiers expanded
     */
    public record Condition(String check, boolean trigger, boolean negate, String argument) {
        public static final Set<String> EVALUATED = Set.of("PathExists", "PathIsDirectory", "PathIsSymbolicLink",
                "PathIsReadWrite", "DirectoryNotEmpty", "FileNotEmpty", "FileIsExecutable");

        public Condition {
            if (!EVALUATED.contains(check)) throw new IllegalArgumentException("not evaluated: Condition" + check);
            Objects.requireNonNull(argument, "argument");
        }

        /** {@code ConditionPathExists=|!/run/x} as written. */
        public String describe() {
            return "Condition" + check + "=" + (trigger ? "|" : "") + (negate ? "!" : "") + argument;
        }
    }

    /** {@code Type=}; idle runs as simple. */
    public enum Type { SIMPLE, EXEC, FORKING, ONESHOT, NOTIFY, NOTIFY_RELOAD, DBUS }

    /** {@code Restart=}. */
    public enum Restart { NO, ON_SUCCESS, ON_FAILURE, ON_ABNORMAL, ON_WATCHDOG, ON_ABORT, ALWAYS }

    /** {@code NotifyAccess=}: whose sd_notify messages are heard. */
    public enum NotifyAccess { NONE, MAIN, EXEC, ALL }

    /** {@code KillMode=}: who gets the stop signals. Without cgroups, control-group means the process group. */
    public enum KillMode { CONTROL_GROUP, MIXED, PROCESS, NONE }

    /** The Exec*= lists, in the order they run. */
    public enum Phase { CONDITION, START_PRE, START, START_POST, RELOAD, STOP, STOP_POST }

    /** Where a unit's standard input, output or error goes. */
    public sealed interface Stdio {
        /** /dev/null. */
        record Null() implements Stdio {}

        /** Vigil's own handling of the unit's output (journal, syslog, kmsg, inherit). */
        record Log() implements Stdio {}

        /** {@code file:}, {@code append:} or {@code truncate:}; input is always read from the start. */
        record File(Path path, FileMode mode) implements Stdio {}

        /** How a {@link File} is opened. */
        enum FileMode { READ, WRITE, APPEND, TRUNCATE }
    }

    /**
     * A directory made before the unit starts ({@code RuntimeDirectory=} and the like), owned by the unit's user.
     *
     * @param removal when the unit's stop removes it
     */
    public record Directory(Path path, int mode, Optional<Credentials> owner, Removal removal) {
        public Directory {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(removal, "removal");
        }
    }

    /** When a {@link Directory} goes: systemd's {@code RuntimeDirectoryPreserve=} for runtime directories. */
    public enum Removal {
        /** Never: state, cache, logs and configuration directories, and {@code RuntimeDirectoryPreserve=yes}. */
        NEVER,
        /** {@code RuntimeDirectoryPreserve=restart}: kept across restarts, automatic or asked for. */
        UNLESS_RESTARTING,
        /** {@code RuntimeDirectoryPreserve=no}: each time the unit stops, a restart's stop too. */
        EVERY_STOP
    }

    /**
     * One {@code EnvironmentFile=}, read each time one of the unit's commands runs, so an edited file takes effect
     * at the next command without a daemon-reload.
     *
     * @param optional the {@code -} prefix: a file that cannot be read is skipped rather than failing the command
     */
    public record EnvironmentFile(Path path, boolean optional) {
        public EnvironmentFile {
            Objects.requireNonNull(path, "path");
        }
    }

    /** A set of exit codes and signals ({@code SuccessExitStatus=} and friends). */
    public record ExitStatuses(Set<Integer> codes, Set<Integer> signals) {
        public static final ExitStatuses NONE = new ExitStatuses(Set.of(), Set.of());

        public ExitStatuses {
            codes = Set.copyOf(codes);
            signals = Set.copyOf(signals);
        }

        /** Whether the process ended with one of these codes or signals. */
        public boolean matches(ExitStatus status) {
            return status.exited() ? codes.contains(status.code()) : signals.contains(status.signal());
        }
    }

    /**
     * How processes are stopped (systemd.kill(5)).
     *
     * @param restartSignal sent instead of {@code signal} when stopping to restart, if set
     */
    public record Kill(KillMode mode, int signal, Optional<Integer> restartSignal, boolean sendSighup,
                       boolean sendSigkill, int finalSignal, int watchdogSignal) {
        public static final Kill DEFAULT = new Kill(KillMode.CONTROL_GROUP, 15, Optional.empty(), false, true, 9, 6);

        public Kill {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(restartSignal, "restartSignal");
        }
    }

    /**
     * One command of an Exec*= list.
     *
     * @param command       what to run; its argv is the unexpanded text, for messages
     * @param argv          makes the real argv from the environment, which includes {@code $MAINPID} and the like
     * @param ignoreFailure the {@code -} prefix
     */
    public record UnitCommand(Command command, ArgvTemplate argv, boolean ignoreFailure) {
        public UnitCommand {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(argv, "argv");
        }

        /** A command whose argv has no variables in it. */
        public static UnitCommand of(Command command, boolean ignoreFailure) {
            return new UnitCommand(command, env -> command.argv(), ignoreFailure);
        }
    }

    /** Expands a command line's {@code $VAR} and {@code ${VAR}} against the environment of one run. */
    @FunctionalInterface
    public interface ArgvTemplate {
        List<String> expand(Map<String, String> environment);
    }

    public UnitSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(pidFile, "pidFile");
        var c = new EnumMap<Phase, List<UnitCommand>>(Phase.class);
        commands.forEach((k, v) -> {
            if (!v.isEmpty()) c.put(k, List.copyOf(v));
        });
        commands = Collections.unmodifiableMap(c);
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(restartSec, "restartSec");
        Objects.requireNonNull(restartMaxDelay, "restartMaxDelay");
        Objects.requireNonNull(successExitStatus, "successExitStatus");
        Objects.requireNonNull(restartPreventExitStatus, "restartPreventExitStatus");
        Objects.requireNonNull(restartForceExitStatus, "restartForceExitStatus");
        Objects.requireNonNull(startLimitInterval, "startLimitInterval");
        Objects.requireNonNull(timeoutStart, "timeoutStart");
        Objects.requireNonNull(timeoutStop, "timeoutStop");
        Objects.requireNonNull(timeoutAbort, "timeoutAbort");
        Objects.requireNonNull(watchdog, "watchdog");
        Objects.requireNonNull(notifyAccess, "notifyAccess");
        Objects.requireNonNull(kill, "kill");
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        directories = List.copyOf(directories);
        conditions = List.copyOf(conditions);
        environmentFiles = List.copyOf(environmentFiles);
        unsetEnvironment = List.copyOf(unsetEnvironment);
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(fdStore, "fdStore");
        Objects.requireNonNull(busName, "busName");
        if (type == Type.DBUS && busName.isEmpty()) {
            throw new IllegalArgumentException(name + ": Type=dbus needs BusName=");
        }
        if (type != Type.ONESHOT && commands.getOrDefault(Phase.START, List.of()).size() != 1) {
            throw new IllegalArgumentException(name + ": only Type=oneshot may have other than one ExecStart=");
        }
    }

    /** The commands of one phase, in order; empty if none. */
    public List<UnitCommand> commands(Phase phase) {
        return commands.getOrDefault(phase, List.of());
    }

    /**
     * A builder holding systemd's defaults: Type=simple, Restart=no, RestartSec=100ms, 90 s timeouts, a start limit
     * of 5 in 10 s, KillMode=control-group with SIGTERM.
     */
    public static Builder builder(String name, Path source) {
        return new Builder(name, source);
    }

    /** Collects a spec; every setter replaces what was set before. */
    public static final class Builder {
        private static final Duration NINETY = Duration.ofSeconds(90);
        private String name;
        private final Path source;
        private Type type = Type.SIMPLE;
        private boolean remainAfterExit;
        private Optional<Path> pidFile = Optional.empty();
        private final Map<Phase, List<UnitCommand>> commands = new EnumMap<>(Phase.class);
        private Restart restart = Restart.NO;
        private Duration restartSec = Duration.ofMillis(100);
        private int restartSteps;
        private Optional<Duration> restartMaxDelay = Optional.empty();
        private ExitStatuses success = ExitStatuses.NONE;
        private ExitStatuses prevent = ExitStatuses.NONE;
        private ExitStatuses force = ExitStatuses.NONE;
        private Optional<Duration> startLimitInterval = Optional.of(Duration.ofSeconds(10));
        private int startLimitBurst = 5;
        private Optional<Duration> timeoutStart = Optional.of(NINETY);
        private Optional<Duration> timeoutStop = Optional.of(NINETY);
        private Optional<Duration> timeoutAbort = Optional.of(NINETY);
        private Optional<Duration> watchdog = Optional.empty();
        private NotifyAccess notifyAccess = NotifyAccess.NONE;
        private int reloadSignal = 1;
        private Kill kill = Kill.DEFAULT;
        private boolean guessMainPid = true;
        private Stdio stdin = new Stdio.Null();
        private Stdio stdout = new Stdio.Log();
        private Stdio stderr = new Stdio.Log();
        private List<Directory> directories = List.of();
        private List<Condition> conditions = List.of();
        private List<EnvironmentFile> environmentFiles = List.of();
        private List<String> unsetEnvironment = List.of();
        private ResourceLimits resources = ResourceLimits.NONE;
        private FdStore fdStore = FdStore.NONE;
        private boolean critical;
        private Optional<String> busName = Optional.empty();

        private Builder(String name, Path source) {
            this.name = name;
            this.source = source;
        }

        public Builder name(String unitName) {
            name = unitName;
            return this;
        }

        public Builder type(Type t) {
            type = t;
            return this;
        }

        public Builder remainAfterExit(boolean on) {
            remainAfterExit = on;
            return this;
        }

        public Builder pidFile(Path p) {
            pidFile = Optional.of(p);
            return this;
        }

        /** Replaces the commands of {@code phase}. */
        public Builder commands(Phase phase, List<UnitCommand> list) {
            commands.put(phase, list);
            return this;
        }

        public Builder restart(Restart r) {
            restart = r;
            return this;
        }

        public Builder restartSec(Duration d) {
            restartSec = d;
            return this;
        }

        /** {@code RestartSteps=} and {@code RestartMaxDelaySec=} (empty: infinity). */
        public Builder restartSteps(int steps, Optional<Duration> maxDelay) {
            restartSteps = steps;
            restartMaxDelay = maxDelay;
            return this;
        }

        public Builder exitStatuses(ExitStatuses successSet, ExitStatuses preventSet, ExitStatuses forceSet) {
            success = successSet;
            prevent = preventSet;
            force = forceSet;
            return this;
        }

        /** An empty interval disables the limit. */
        public Builder startLimit(Optional<Duration> interval, int burst) {
            startLimitInterval = interval;
            startLimitBurst = burst;
            return this;
        }

        public Builder timeouts(Optional<Duration> start, Optional<Duration> stop, Optional<Duration> abort) {
            timeoutStart = start;
            timeoutStop = stop;
            timeoutAbort = abort;
            return this;
        }

        public Builder watchdog(Optional<Duration> d) {
            watchdog = d;
            return this;
        }

        public Builder notifyAccess(NotifyAccess a) {
            notifyAccess = a;
            return this;
        }

        public Builder reloadSignal(int signal) {
            reloadSignal = signal;
            return this;
        }

        public Builder kill(Kill k) {
            kill = k;
            return this;
        }

        public Builder stdio(Stdio in, Stdio out, Stdio err) {
            stdin = in;
            stdout = out;
            stderr = err;
            return this;
        }

        public Builder directories(List<Directory> list) {
            directories = list;
            return this;
        }

        public Builder conditions(List<Condition> list) {
            conditions = List.copyOf(list);
            return this;
        }

        public Builder environmentFiles(List<EnvironmentFile> list) {
            environmentFiles = List.copyOf(list);
            return this;
        }

        public Builder unsetEnvironment(List<String> list) {
            unsetEnvironment = List.copyOf(list);
            return this;
        }

        public Builder resources(ResourceLimits limits) {
            resources = limits;
            return this;
        }

        public Builder critical(boolean on) {
            critical = on;
            return this;
        }

        public Builder fdStore(FdStore store) {
            fdStore = Objects.requireNonNull(store);
            return this;
        }

        public Builder guessMainPid(boolean on) {
            guessMainPid = on;
            return this;
        }

        public Builder busName(String name) {
            busName = Optional.of(name);
            return this;
        }

        public UnitSpec build() {
            return new UnitSpec(name, source, type, remainAfterExit, pidFile, commands, restart, restartSec,
                    restartSteps, restartMaxDelay, success, prevent, force, startLimitInterval, startLimitBurst,
                    timeoutStart, timeoutStop, timeoutAbort, watchdog, notifyAccess, reloadSignal, kill, stdin, stdout,
                    stderr, directories, conditions, environmentFiles, unsetEnvironment, resources, fdStore,
                    critical, guessMainPid, busName);
        }
    }
}
