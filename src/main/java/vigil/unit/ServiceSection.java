package vigil.unit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.ResourceLimits;
import vigil.os.Signals;
import vigil.resources.ResourceSettings;

/**
 * The typed {@code [Service]} section (systemd.service(5)) with its exec and kill settings. Defaults are resolved
 * as systemd resolves them once the whole unit is read: {@code Type=} is simple with an ExecStart= and oneshot
 * without; a oneshot has no start timeout; {@code NotifyAccess=} becomes main for notify types and watchdogs.
 *
 * @param commands         the Exec*= lists by kind, in order; kinds without commands are absent
 * @param restartMaxDelay  {@code RestartMaxDelaySec=}, {@link TimeSpan#INFINITY} when unset
 * @param timeoutStart     {@link TimeSpan#INFINITY} for no timeout (also what {@code 0} means)
 * @param timeoutAbort     what the watchdog waits after {@code WatchdogSignal=}; defaults to timeoutStop
 * @param watchdog         {@code WatchdogSec=}, {@link TimeSpan#ZERO} when off
 */
public record ServiceSection(
        Type type,
        ExitType exitType,
        boolean remainAfterExit,
        boolean guessMainPid,
        Optional<String> pidFile,
        Optional<String> busName,
        Map<ExecKind, List<ExecCommand>> commands,
        Restart restart,
        TimeSpan restartSec,
        int restartSteps,
        TimeSpan restartMaxDelay,
        TimeSpan timeoutStart,
        TimeSpan timeoutStop,
        TimeSpan timeoutAbort,
        TimeSpan runtimeMax,
        TimeSpan watchdog,
        ExitStatusSet successExitStatus,
        ExitStatusSet restartPreventExitStatus,
        ExitStatusSet restartForceExitStatus,
        NotifyAccess notifyAccess,
        int reloadSignal,
        List<String> sockets,
        int fileDescriptorStoreMax,
        String fileDescriptorStorePreserve,
        ExecContext exec,
        KillContext kill,
        ResourceLimits resources) {

    /** {@code Type=}. */
    public enum Type { SIMPLE, EXEC, FORKING, ONESHOT, DBUS, NOTIFY, NOTIFY_RELOAD, IDLE }

    /** {@code ExitType=}. */
    public enum ExitType { MAIN, CGROUP }

    /** {@code Restart=}. */
    public enum Restart { NO, ON_SUCCESS, ON_FAILURE, ON_ABNORMAL, ON_WATCHDOG, ON_ABORT, ALWAYS }

    /** {@code NotifyAccess=}. */
    public enum NotifyAccess { NONE, MAIN, EXEC, ALL }

    /** The Exec*= lists of a service, in the order they run. */
    public enum ExecKind {
        CONDITION("ExecCondition"), START_PRE("ExecStartPre"), START("ExecStart"), START_POST("ExecStartPost"),
        RELOAD("ExecReload"), STOP("ExecStop"), STOP_POST("ExecStopPost");

        private final String directive;

        ExecKind(String directive) {
            this.directive = directive;
        }

        public String directive() {
            return directive;
        }

        static Optional<ExecKind> forDirective(String key) {
            for (ExecKind k : values()) {
                if (k.directive.equals(key)) return Optional.of(k);
            }
            return Optional.empty();
        }
    }

    public ServiceSection {
        var c = new EnumMap<ExecKind, List<ExecCommand>>(ExecKind.class);
        commands.forEach((k, v) -> c.put(k, List.copyOf(v)));
        commands = Collections.unmodifiableMap(c);
        sockets = List.copyOf(sockets);
    }

    /** The commands of one kind, in order; empty if none. */
    public List<ExecCommand> commands(ExecKind kind) {
        return commands.getOrDefault(kind, List.of());
    }

    /**
     * What systemd's service_verify() refuses: the unit-level errors of a fully read service, given its [Unit]
     * section (for {@code SuccessAction=}).
     */
    public List<String> problems(UnitSection unit) {
        var problems = new ArrayList<String>();
        boolean hasStart = !commands(ExecKind.START).isEmpty();
        boolean successAction = !unit.successAction().equals("none");
        if (!hasStart && commands(ExecKind.STOP).isEmpty() && !successAction) {
            problems.add("the service has no ExecStart=, ExecStop= or SuccessAction=");
        } else if (type != Type.ONESHOT && !hasStart) {
            problems.add("the service has no ExecStart=, which only Type=oneshot allows");
        } else if (!remainAfterExit && !hasStart && !successAction) {
            problems.add("the service has no ExecStart= and no SuccessAction=, and RemainAfterExit= is not yes");
        }
        if (type != Type.ONESHOT && commands(ExecKind.START).size() > 1) {
            problems.add("the service has more than one ExecStart=, which only Type=oneshot allows");
        }
        if (type == Type.ONESHOT && (restart == Restart.ALWAYS || restart == Restart.ON_SUCCESS)) {
            problems.add("Restart=" + Values.systemdName(restart) + " is not allowed with Type=oneshot");
        }
        if (type == Type.ONESHOT && exitType == ExitType.CGROUP) {
            problems.add("ExitType=cgroup is not allowed with Type=oneshot");
        }
        if (type == Type.DBUS && busName.isEmpty()) {
            problems.add("Type=dbus needs BusName=");
        }
        return problems;
    }

    /** Collects [Service] assignments in file order. */
    static final class Builder {
        private Optional<Type> type = Optional.empty();
        private ExitType exitType = ExitType.MAIN;
        private boolean remainAfterExit;
        private boolean guessMainPid = true;
        private Optional<String> pidFile = Optional.empty();
        private Optional<String> busName = Optional.empty();
        private final Map<ExecKind, List<ExecCommand>> commands = new EnumMap<>(ExecKind.class);
        private Restart restart = Restart.NO;
        private TimeSpan restartSec = TimeSpan.ofMillis(100);
        private int restartSteps;
        private TimeSpan restartMaxDelay = TimeSpan.INFINITY;
        private Optional<TimeSpan> timeoutStart = Optional.empty();
        private Optional<TimeSpan> timeoutStop = Optional.empty();
        private Optional<TimeSpan> timeoutAbort = Optional.empty();
        private TimeSpan runtimeMax = TimeSpan.INFINITY;
        private TimeSpan watchdog = TimeSpan.ZERO;
        private ExitStatusSet success = ExitStatusSet.EMPTY;
        private ExitStatusSet prevent = ExitStatusSet.EMPTY;
        private ExitStatusSet force = ExitStatusSet.EMPTY;
        private Optional<NotifyAccess> notifyAccess = Optional.empty();
        private int reloadSignal = Signals.SIGHUP;
        private final List<String> sockets = new ArrayList<>();
        private int fileDescriptorStoreMax;
        private String fileDescriptorStorePreserve = "restart";
        private final ExecContext.Builder exec = new ExecContext.Builder();
        private final KillContext.Builder kill = new KillContext.Builder();
        private final ResourceSettings resources = new ResourceSettings(ResourceSettings.Machine.current());
        private final Host host;

        Builder(Host host) {
            this.host = host;
        }

        void set(String key, String value, Specifiers sp) throws InvalidValueException {
            if (exec.set(key, value, sp) || kill.set(key, value)) return;
            boolean empty = value.isEmpty();
            Optional<ExecKind> execKind = ExecKind.forDirective(key);
            if (execKind.isPresent()) {
                if (empty) commands.remove(execKind.get());
                else commands.computeIfAbsent(execKind.get(), k -> new ArrayList<>())
                        .addAll(CommandLine.parse(value, sp));
                return;
            }
            switch (key) {
                case "Type" -> type = empty ? Optional.empty()
                        : Optional.of(Values.enumValue(Type.class, value, "service type"));
                case "ExitType" -> exitType = empty ? ExitType.MAIN : Values.enumValue(ExitType.class, value,
                        "exit type");
                case "RemainAfterExit" -> remainAfterExit = !empty && Values.bool(value);
                case "GuessMainPID" -> guessMainPid = empty || Values.bool(value);
                case "PIDFile" -> pidFile = empty ? Optional.empty() : Optional.of(pidFile(sp.expand(value)));
                case "BusName" -> busName = empty ? Optional.empty() : Optional.of(busName(value));
                case "Restart" -> restart = empty ? Restart.NO : Values.enumValue(Restart.class, value,
                        "restart setting");
                case "RestartSec" -> restartSec = empty ? TimeSpan.ofMillis(100) : TimeSpan.parse(value);
                case "RestartSteps" -> restartSteps = empty ? 0 : Values.unsigned(value);
                case "RestartMaxDelaySec" -> restartMaxDelay = empty ? TimeSpan.INFINITY : TimeSpan.parse(value);
                case "TimeoutSec" -> {
                    timeoutStart = empty ? Optional.empty() : Optional.of(UnitSection.fixZero(TimeSpan.parse(value)));
                    timeoutStop = timeoutStart;
                }
                case "TimeoutStartSec" -> timeoutStart = empty ? Optional.empty()
                        : Optional.of(UnitSection.fixZero(TimeSpan.parse(value)));
                case "TimeoutStopSec" -> timeoutStop = empty ? Optional.empty()
                        : Optional.of(UnitSection.fixZero(TimeSpan.parse(value)));
                case "TimeoutAbortSec" -> timeoutAbort = empty ? Optional.empty()
                        : Optional.of(UnitSection.fixZero(TimeSpan.parse(value)));
                case "RuntimeMaxSec" -> runtimeMax = empty ? TimeSpan.INFINITY : UnitSection.fixZero(
                        TimeSpan.parse(value));
                case "WatchdogSec" -> watchdog = empty ? TimeSpan.ZERO : TimeSpan.parse(value);
                case "SuccessExitStatus" -> success = empty ? ExitStatusSet.EMPTY
                        : success.plus(Values.exitStatusSet(value));
                case "RestartPreventExitStatus" -> prevent = empty ? ExitStatusSet.EMPTY
                        : prevent.plus(Values.exitStatusSet(value));
                case "RestartForceExitStatus" -> force = empty ? ExitStatusSet.EMPTY
                        : force.plus(Values.exitStatusSet(value));
                case "NotifyAccess" -> notifyAccess = empty ? Optional.empty()
                        : Optional.of(Values.enumValue(NotifyAccess.class, value, "notify access"));
                case "ReloadSignal" -> reloadSignal = empty ? Signals.SIGHUP : Values.signal(value);
                case "Sockets" -> {
                    if (empty) sockets.clear();
                    for (String word : Words.splitPlain(value)) {
                        UnitName name = Values.unitName(sp.expand(word));
                        if (name.type() != UnitType.SOCKET || name.isTemplate()) {
                            throw new InvalidValueException("'" + name + "' is not a socket unit");
                        }
                        sockets.add(name.toString());
                    }
                }
                case "FileDescriptorStoreMax" -> fileDescriptorStoreMax = empty ? 0 : Values.unsigned(value);
                case "FileDescriptorStorePreserve" -> fileDescriptorStorePreserve = empty ? "restart"
                        : preserve(value);
                default -> throw new IllegalArgumentException("[Service] " + key + " is not a typed directive");
            }
        }

        /** {@code no}, {@code yes} (or another boolean) or {@code restart}, as systemd reads it. */
        private static String preserve(String value) throws InvalidValueException {
            if (value.equals("restart")) return value;
            return Values.bool(value) ? "yes" : "no";
        }

        /** The resource-control settings, which the compiler routes here itself: systemd ignores their bad values. */
        ResourceSettings resources() {
            return resources;
        }

        /** systemd (v240+): a relative PIDFile= is relative to the runtime directory. */
        private String pidFile(String value) throws InvalidValueException {
            if (value.startsWith("/")) return Values.absolutePath(value);
            return host.runtimeDirectory().resolve(value).normalize().toString();
        }

        private static String busName(String value) throws InvalidValueException {
            boolean ok = value.length() <= 255 && value.contains(".") && !value.startsWith(".")
                    && !value.endsWith(".") && !value.contains("..") && value.chars().allMatch(c ->
                    c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
                            || c == '.');
            if (!ok) throw new InvalidValueException("'" + value + "' is not a valid D-Bus name");
            return value;
        }

        ServiceSection build() {
            Type t = type.orElse(busName.isPresent() ? Type.DBUS
                    : commands.containsKey(ExecKind.START) ? Type.SIMPLE : Type.ONESHOT);
            TimeSpan start = timeoutStart.orElse(t == Type.ONESHOT ? TimeSpan.INFINITY : TimeSpan.ofSeconds(90));
            TimeSpan stop = timeoutStop.orElse(TimeSpan.ofSeconds(90));
            boolean notifies = t == Type.NOTIFY || t == Type.NOTIFY_RELOAD || watchdog.micros() > 0
                    || fileDescriptorStoreMax > 0;
            NotifyAccess access = notifyAccess.filter(a -> a != NotifyAccess.NONE || !notifies)
                    .orElse(notifies ? NotifyAccess.MAIN : NotifyAccess.NONE);
            return new ServiceSection(t, exitType, remainAfterExit, guessMainPid, pidFile, busName, commands, restart,
                    restartSec, restartSteps, restartMaxDelay, start, stop, timeoutAbort.orElse(stop), runtimeMax,
                    watchdog, success, prevent, force, access, reloadSignal, sockets, fileDescriptorStoreMax,
                    fileDescriptorStorePreserve, exec.build(), kill.build(), resources.build());
        }
    }
}
