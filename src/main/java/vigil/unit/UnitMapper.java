package vigil.unit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.Command;
import vigil.model.Credentials;
import vigil.model.ExecOptions;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.UnitCommand;

/**
 * The one place where a loaded {@link Unit} becomes the {@link UnitSpec} the unit state machine runs: users are
 * resolved, the environment is assembled, bare command names are looked up, and everything Vigil does not do is
 * said in {@link Mapped#notes()} rather than silently dropped.
 *
 * <p>The environment is systemd's for a system service, in systemd.exec(5)'s order, later sources winning:
 * {@code PATH}, the {@code *_DIRECTORY} variables and, with {@code User=}, {@code USER LOGNAME HOME SHELL}; then
 * {@code PassEnvironment=} from Vigil's own, then {@code Environment=}. That much is each command's environment here.
 * {@code EnvironmentFile=} and {@code UnsetEnvironment=} only go into the spec: the unit state machine reads the
 * files each time it runs a command (so an edited file needs no daemon-reload) and unsets last, over the variables
 * it sets itself.
 */
public final class UnitMapper {
    /** systemd's fixed search path for bare command names and the services' PATH. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private UnitMapper() {}

    /** The spec, and what of the unit Vigil does not act on. */
    public record Mapped(UnitSpec spec, List<String> notes) {
        public Mapped {
            notes = List.copyOf(notes);
        }
    }

    /** The unit cannot run under Vigil at all (an unknown user...). */
    public static final class CannotRun extends Exception {
        public CannotRun(String message) {
            super(message);
        }
    }

    /**
     * @param vigilEnvironment Vigil's own environment, for {@code PassEnvironment=}
     */
    public static Mapped map(Unit unit, Host host, Accounts accounts, Map<String, String> vigilEnvironment)
            throws CannotRun {
        return map(unit, host, accounts, vigilEnvironment, HardLimits.NONE);
    }

    /**
     * @param vigilEnvironment Vigil's own environment, for {@code PassEnvironment=}
     * @param hardLimits       the host's ceilings: a {@code Limit*=} above one is lowered to it, with a note
     */
    public static Mapped map(Unit unit, Host host, Accounts accounts, Map<String, String> vigilEnvironment,
                             HardLimits hardLimits) throws CannotRun {
        ServiceSection service = unit.service().orElseThrow(() -> new CannotRun(unit.name()
                + " is not a service unit"));
        ExecContext exec = service.exec();
        var notes = new ArrayList<String>();
        String name = unit.name().toString();
        UnitSpec.Builder b = UnitSpec.builder(name, unit.file().fragment());
        b.type(switch (service.type()) {
            case SIMPLE -> UnitSpec.Type.SIMPLE;
            case IDLE -> {
                notes.add("Type=idle runs as Type=simple: Vigil has no job queue to wait for");
                yield UnitSpec.Type.SIMPLE;
            }
            case EXEC -> UnitSpec.Type.EXEC;
            case FORKING -> UnitSpec.Type.FORKING;
            case ONESHOT -> UnitSpec.Type.ONESHOT;
            case NOTIFY -> UnitSpec.Type.NOTIFY;
            case NOTIFY_RELOAD -> UnitSpec.Type.NOTIFY_RELOAD;
            case DBUS -> UnitSpec.Type.DBUS;
        });
        b.remainAfterExit(service.remainAfterExit());
        try {
            b.critical(VigilCritical.of(unit.file()));
        } catch (InvalidValueException e) {
            throw new CannotRun(VigilCritical.KEY + "=: " + e.getMessage()); // the compiler refused it already
        }
        service.pidFile().ifPresent(p -> b.pidFile(Path.of(p)));
        service.busName().ifPresent(b::busName);
        b.guessMainPid(service.guessMainPid());

        Optional<Accounts.Account> account;
        try {
            account = exec.user().isPresent() ? Optional.of(accounts.user(exec.user().get())) : Optional.empty();
        } catch (InvalidValueException e) {
            throw new CannotRun("User=: " + e.getMessage());
        }
        Optional<Credentials> credentials = credentials(exec, account, accounts);
        Map<String, String> env = environment(exec, account, host, vigilEnvironment);
        Path cwd = workingDirectory(exec, account, notes);
        ExecOptions options = options(exec, hardLimits, notes);

        for (ServiceSection.ExecKind kind : ServiceSection.ExecKind.values()) {
            List<UnitCommand> list = new ArrayList<>();
            for (ExecCommand c : service.commands(kind)) list.add(command(c, cwd, env, credentials, options));
            b.commands(phase(kind), list);
        }

        b.restart(UnitSpec.Restart.valueOf(service.restart().name()))
                .restartSec(duration(service.restartSec()).orElse(Duration.ZERO))
                .restartSteps(service.restartSteps(), duration(service.restartMaxDelay()))
                .exitStatuses(statuses(service.successExitStatus()), statuses(service.restartPreventExitStatus()),
                        statuses(service.restartForceExitStatus()))
                .startLimit(unit.unit().startLimitInterval().micros() == 0 ? Optional.empty()
                        : duration(unit.unit().startLimitInterval()), unit.unit().startLimitBurst())
                .timeouts(duration(service.timeoutStart()), duration(service.timeoutStop()),
                        duration(service.timeoutAbort()))
                .watchdog(service.watchdog().micros() == 0 ? Optional.empty() : duration(service.watchdog()))
                .notifyAccess(UnitSpec.NotifyAccess.valueOf(service.notifyAccess().name()))
                .reloadSignal(service.reloadSignal())
                .resources(service.resources());
        KillContext k = service.kill();
        b.kill(new UnitSpec.Kill(UnitSpec.KillMode.valueOf(k.killMode().toUpperCase(Locale.ROOT)
                .replace('-', '_')), k.killSignal(), k.restartKillSignal().isPresent()
                ? Optional.of(k.restartKillSignal().getAsInt()) : Optional.empty(), k.sendSighup(), k.sendSigkill(),
                k.finalKillSignal(), k.watchdogSignal()));
        UnitSpec.Stdio out = stdio(exec.standardOutput(), "StandardOutput", notes);
        UnitSpec.Stdio err = exec.standardError() instanceof Stdio.Inherit ? out
                : stdio(exec.standardError(), "StandardError", notes);
        b.stdio(stdio(exec.standardInput(), "StandardInput", notes), out, err);
        b.environmentFiles(exec.environmentFiles().stream()
                        .map(f -> new UnitSpec.EnvironmentFile(Path.of(f.path()), f.optional())).toList())
                .unsetEnvironment(exec.unsetEnvironment());
        b.directories(directories(exec, host, credentials, notes));
        b.conditions(unit.unit().conditions().stream()
                .filter(c -> UnitSpec.Condition.EVALUATED.contains(c.check()))
                .map(c -> new UnitSpec.Condition(c.check(), c.trigger(), c.negate(), c.argument()))
                .toList());
        b.fdStore(new UnitSpec.FdStore(service.fileDescriptorStoreMax(), UnitSpec.FdStore.Preserve.valueOf(
                service.fileDescriptorStorePreserve().toUpperCase(Locale.ROOT))));
        if (!service.runtimeMax().isInfinite()) notes.add("RuntimeMaxSec=: not enforced; ignored");
        if (service.exitType() == ServiceSection.ExitType.CGROUP) {
            notes.add("ExitType=cgroup: without cgroups the unit ends with its main process");
        }
        try {
            return new Mapped(b.build(), notes);
        } catch (IllegalArgumentException e) {
            throw new CannotRun(e.getMessage());
        }
    }

    /**
     * A socket unit's {@code ExecStartPre=}/{@code ExecStartPost=}/{@code ExecStopPre=}/{@code ExecStopPost=}, with
     * its own exec context ({@code User=}, {@code Group=}, {@code WorkingDirectory=}, {@code Environment=}, limits)
     * applied as a service's is: systemd runs them through the same exec code as a service's commands.
     *
     * @throws CannotRun if its user or groups are unknown
     */
    public static Map<SocketSection.ExecKind, List<UnitCommand>> socketCommands(SocketSection socket, Host host,
            Accounts accounts, Map<String, String> vigilEnvironment) throws CannotRun {
        ExecContext exec = socket.exec();
        Optional<Accounts.Account> account;
        try {
            account = exec.user().isPresent() ? Optional.of(accounts.user(exec.user().get())) : Optional.empty();
        } catch (InvalidValueException e) {
            throw new CannotRun("User=: " + e.getMessage());
        }
        Optional<Credentials> credentials = credentials(exec, account, accounts);
        Map<String, String> env = environment(exec, account, host, vigilEnvironment);
        Path cwd = workingDirectory(exec, account, new ArrayList<>());
        // Limits as written: a socket unit's own commands are rare, and carry no LimitNOFILE= worth clamping.
        ExecOptions options = options(exec, HardLimits.NONE, new ArrayList<>());
        var out = new java.util.EnumMap<SocketSection.ExecKind, List<UnitCommand>>(SocketSection.ExecKind.class);
        socket.commands().forEach((kind, list) -> out.put(kind, list.stream()
                .map(c -> command(c, cwd, env, credentials, options)).toList()));
        return out;
    }

    private static Phase phase(ServiceSection.ExecKind kind) {
        return switch (kind) {
            case CONDITION -> Phase.CONDITION;
            case START_PRE -> Phase.START_PRE;
            case START -> Phase.START;
            case START_POST -> Phase.START_POST;
            case RELOAD -> Phase.RELOAD;
            case STOP -> Phase.STOP;
            case STOP_POST -> Phase.STOP_POST;
        };
    }

    private static Optional<Credentials> credentials(ExecContext exec, Optional<Accounts.Account> account,
                                                     Accounts accounts) throws CannotRun {
        if (account.isEmpty() && exec.group().isEmpty() && exec.supplementaryGroups().isEmpty()) {
            return Optional.empty();
        }
        try {
            Credentials base = account.map(Accounts.Account::credentials).orElse(Credentials.of(0, 0));
            int gid = exec.group().isPresent() ? accounts.group(exec.group().get()) : base.gid();
            List<Integer> groups = new ArrayList<>();
            groups.add(gid);
            // systemd: a user's own supplementary groups come only from initgroups(), done for User= alone.
            if (exec.group().isEmpty()) base.groups().stream().filter(g -> !groups.contains(g)).forEach(groups::add);
            for (String g : exec.supplementaryGroups()) {
                int id = accounts.group(g);
                if (!groups.contains(id)) groups.add(id);
            }
            return Optional.of(new Credentials(base.uid(), gid, groups));
        } catch (InvalidValueException e) {
            throw new CannotRun("Group=/SupplementaryGroups=: " + e.getMessage());
        }
    }

    private static Map<String, String> environment(ExecContext exec, Optional<Accounts.Account> account, Host host,
                                                   Map<String, String> vigilEnvironment) throws CannotRun {
        var env = new LinkedHashMap<String, String>();
        env.put("PATH", PATH);
        for (ExecContext.DirectoryKind kind : ExecContext.DirectoryKind.values()) {
            List<String> dirs = exec.directories().getOrDefault(kind, List.of());
            if (dirs.isEmpty()) continue;
            try {
                Path root = kind.root(host);
                env.put(kind.name() + "_DIRECTORY", String.join(":", dirs.stream()
                        .map(d -> root.resolve(d.contains(":") ? d.substring(0, d.indexOf(':')) : d).toString())
                        .toList()));
            } catch (InvalidValueException e) {
                throw new CannotRun(kind.directive() + "=: " + e.getMessage());
            }
        }
        account.ifPresent(a -> {
            env.put("USER", a.name());
            env.put("LOGNAME", a.name());
            env.put("HOME", a.home().toString());
            env.put("SHELL", a.shell());
        });
        for (String name : exec.passEnvironment()) {
            String v = vigilEnvironment.get(name);
            if (v != null) env.put(name, v);
        }
        env.putAll(exec.environment());
        return env;
    }

    private static Path workingDirectory(ExecContext exec, Optional<Accounts.Account> account, List<String> notes) {
        if (exec.workingDirectory().isEmpty()) return Path.of("/");
        ExecContext.WorkingDirectory wd = exec.workingDirectory().get();
        Path dir = wd.isHome() ? account.map(Accounts.Account::home).orElse(Path.of("/root")) : Path.of(wd.path());
        if (wd.missingOk() && !Files.isDirectory(exec.rootDirectory().map(r -> Path.of(r + "/" + dir))
                .orElse(dir))) {
            notes.add("WorkingDirectory=-" + dir + " does not exist; using /");
            return Path.of("/");
        }
        return dir;
    }

    private static ExecOptions options(ExecContext exec, HardLimits hardLimits, List<String> notes) {
        List<ExecOptions.Limit> limits = new ArrayList<>();
        exec.limits().forEach((r, asked) -> {
            ResourceLimit l = hardLimits.closest(r, asked);
            if (!l.equals(asked)) {
                notes.add(r.directive() + "=" + render(asked) + " is above the hard limit this host allows ("
                        + render(hardLimits.ceiling(r).getAsLong()) + "): lowered to " + render(l)
                        + ", as systemd does");
            }
            limits.add(new ExecOptions.Limit(r.number(), l.soft(), l.hard()));
        });
        return new ExecOptions(exec.rootDirectory().map(Path::of), OptionalInt.of(exec.umask()), exec.nice(),
                exec.oomScoreAdjust(), limits, exec.noNewPrivileges(), new ExecOptions.CapabilitySets(
                        exec.capabilityBoundingSet(), exec.ambientCapabilities(), exec.secureBits()));
    }

    private static String render(ResourceLimit l) {
        return render(l.soft()) + ":" + render(l.hard());
    }

    private static String render(long limit) {
        return limit == ResourceLimit.INFINITY ? "infinity" : Long.toUnsignedString(limit);
    }

    private static UnitCommand command(ExecCommand c, Path cwd, Map<String, String> env,
                                       Optional<Credentials> credentials, ExecOptions options) {
        Path executable = executable(c.executable());
        Optional<Credentials> user = c.privileges() == ExecCommand.Privileges.FULL
                || c.privileges() == ExecCommand.Privileges.NO_SETUID ? Optional.empty() : credentials;
        ExecOptions opts = c.privileges() == ExecCommand.Privileges.FULL ? ExecOptions.NONE : options;
        List<String> display = c.argv().stream().map(ExecCommand.Argument::display).toList();
        Command command = new Command(executable, display, cwd, env, user, opts);
        if (!c.expandVariables()) return UnitCommand.of(command, c.ignoreFailure());
        return new UnitCommand(command, c::expandArguments, c.ignoreFailure());
    }

    /** An absolute path as is; a bare name from systemd's fixed path, or as /usr/bin/NAME so exec names it. */
    private static Path executable(String name) {
        if (name.startsWith("/")) return Path.of(name);
        for (String dir : PATH.split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return Path.of("/usr/bin", name);
    }

    private static Optional<Duration> duration(TimeSpan span) {
        return span.isInfinite() ? Optional.empty() : Optional.of(span.toDuration());
    }

    private static UnitSpec.ExitStatuses statuses(ExitStatusSet set) {
        return new UnitSpec.ExitStatuses(set.codes(), set.signals());
    }

    private static UnitSpec.Stdio stdio(Stdio s, String directive, List<String> notes) {
        return switch (s) {
            case Stdio.Null n -> new UnitSpec.Stdio.Null();
            case Stdio.Inherit i -> new UnitSpec.Stdio.Log();
            case Stdio.Log l -> new UnitSpec.Stdio.Log();
            case Stdio.File f -> new UnitSpec.Stdio.File(Path.of(f.path()), switch (f.mode()) {
                case READ -> UnitSpec.Stdio.FileMode.READ;
                case WRITE -> UnitSpec.Stdio.FileMode.WRITE;
                case APPEND -> UnitSpec.Stdio.FileMode.APPEND;
                case TRUNCATE -> UnitSpec.Stdio.FileMode.TRUNCATE;
            });
            // An Accept=yes instance gets its connection on stdin and stdout from its socket unit (vigil.socket).
            case Stdio.Socket k -> directive.equals("StandardInput") ? new UnitSpec.Stdio.Null()
                    : new UnitSpec.Stdio.Log();
            default -> {
                boolean input = directive.equals("StandardInput");
                notes.add(directive + "=" + describe(s) + " is not supported; using "
                        + (input ? "null" : "Vigil's log"));
                yield input ? new UnitSpec.Stdio.Null() : new UnitSpec.Stdio.Log();
            }
        };
    }

    private static String describe(Stdio s) {
        return switch (s) {
            case Stdio.Tty t -> t.mode();
            case Stdio.Socket k -> "socket";
            case Stdio.NamedFd f -> "fd:" + f.name();
            case Stdio.Data d -> "data";
            default -> s.toString();
        };
    }

    /** Only runtime directories go when the unit stops, and RuntimeDirectoryPreserve= says which stops. */
    private static UnitSpec.Removal removal(ExecContext.DirectoryKind kind, ExecContext exec) {
        if (kind != ExecContext.DirectoryKind.RUNTIME) return UnitSpec.Removal.NEVER;
        return switch (exec.runtimeDirectoryPreserve()) {
            case "yes" -> UnitSpec.Removal.NEVER;
            case "restart" -> UnitSpec.Removal.UNLESS_RESTARTING;
            default -> UnitSpec.Removal.EVERY_STOP;
        };
    }

    private static List<UnitSpec.Directory> directories(ExecContext exec, Host host, Optional<Credentials> owner,
                                                        List<String> notes) throws CannotRun {
        var out = new ArrayList<UnitSpec.Directory>();
        // In the kinds' order: the map is an EnumMap underneath.
        for (var e : exec.directories().entrySet()) {
            ExecContext.DirectoryKind kind = e.getKey();
            Path root;
            try {
                root = kind.root(host);
            } catch (InvalidValueException ex) {
                throw new CannotRun(kind.directive() + "=: " + ex.getMessage());
            }
            for (String d : e.getValue()) {
                int colon = d.indexOf(':');
                if (colon >= 0) notes.add(kind.directive() + "=" + d + ": the symlink after ':' is not made");
                String rel = colon >= 0 ? d.substring(0, colon) : d;
                out.add(new UnitSpec.Directory(root.resolve(rel), exec.directoryMode(kind), owner,
                        removal(kind, exec)));
            }
        }
        return out;
    }
}
