package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlLimits;
import vigil.daemon.CriticalServices;
import vigil.daemon.Daemon;
import vigil.daemon.Duties;
import vigil.daemon.TrackingOptions;
import vigil.http.HttpOptions;
import vigil.log.LogLocation;
import vigil.log.TimestampFormat;
import vigil.os.Signals;
import vigil.reexec.Handover;
import vigil.reexec.HandoverCodec;
import vigil.reexec.Reexec;
import vigil.unit.InvalidValueException;
import vigil.unit.TimeSpan;
import vigil.watchdog.HardwareWatchdog;
import vigil.watchdog.WatchdogDevice;

@Command(name = "daemon",
        description = {"Supervise every service directory in each DIR (as runsvdir does), and run the systemd "
                + ".service units of --units DIR, until TERM or INT.",
                "New, removed and renamed entries take effect at once.",
                "Listens for control requests (the vigil commands) on a unix socket; runtime state (transient "
                        + "services, supervise/ of read-only service directories) is kept beside it.",
                "Each service's stdout and stderr are logged to LOGDIR/NAME (a logger NAME/log's own output, and "
                        + "its producer's stderr, to LOGDIR/NAME.log), Vigil's messages to LOGDIR/.vigil: read them "
                        + "with vigil logs NAME."})
final class DaemonCommand implements Callable<Integer> {
    @Option(names = "--control", paramLabel = "PATH",
            description = "the control socket (default: $VIGIL_CONTROL, else /run/vigil/control for root and "
                    + "$XDG_RUNTIME_DIR/vigil/control for others)")
    Path control;

    @Option(names = "--units", arity = "1..*", paramLabel = "DIR",
            description = "directories of systemd unit files: every .service unit in them is run, and every "
                    + "instance linked to its template (foo@bar.service -> foo@.service)")
    List<Path> units = new ArrayList<>();

    @Parameters(arity = "0..*", paramLabel = "DIR", description = "directories of service directories; .service "
            + "files in them are run as units")
    List<Path> roots = new ArrayList<>();

    @Option(names = "--target", paramLabel = "NAME",
            description = "the target to start the units with (default: default.target; without one in the unit "
                    + "directories, every unit starts)")
    String target;

    @Option(names = "--log-dir", paramLabel = "LOGDIR",
            description = "where log directories go (default /var/log/vigil as root, else $XDG_STATE_HOME/vigil/log)")
    Path logDir;

    @Option(names = "--log-timestamps", paramLabel = "FORMAT", converter = TimestampConverter.class,
            description = "how log lines are stamped: tai64n (as svlogd -t), iso (the default, UTC) or none")
    TimestampFormat timestamps = TimestampFormat.ISO;

    @Option(names = "--user-services", paramLabel = "yes|no|N", converter = UserServicesConverter.class,
            description = "whether users other than root may add transient services (vigil add), and how many "
                    + "each may have at once: yes (" + ControlLimits.DEFAULT_SERVICES_PER_USER + ", the default), "
                    + "no (none), or a number")
    int userServices = ControlLimits.DEFAULT_SERVICES_PER_USER;

    @Option(names = "--default-timeout-stop", paramLabel = "TIME", converter = StopTimeoutConverter.class,
            description = "how long a stop waits before SIGKILL to the service's whole cgroup, where a service sets "
                    + "no TimeoutStopSec= or timeout-kill of its own (default 90s)")
    Duration defaultTimeoutStop = TrackingOptions.DEFAULT.defaultStopTimeout();

    @Option(names = "--no-cgroups", description = "follow services' processes through process groups and sessions "
            + "only, without a cgroup per service")
    boolean noCgroups;

    @picocli.CommandLine.Mixin
    WatchdogOptions watchdog = new WatchdogOptions();

    @Option(names = "--http", paramLabel = "ADDR",
            description = "serve metrics (/metrics), health probes (/healthz, /readyz) and a live status page (/) on "
                    + "127.0.0.1:PORT, [::1]:PORT or unix:PATH; off by default")
    String http;

    @Option(names = "--http-token", paramLabel = "FILE",
            description = "the bearer token (read from FILE) that start, stop and restart over HTTP need on TCP; "
                    + "without it TCP is read-only (over unix:PATH the caller's uid decides)")
    Path httpToken;

    /** Set by an old daemon that re-executed itself: the fd of the state it handed over. Not for people. */
    @Option(names = Reexec.OPTION, hidden = true, paramLabel = "FD")
    Integer reexecState;

    @Option(names = "--user-connections", paramLabel = "N",
            description = "connections one user other than root may have open at once (default "
                    + ControlLimits.DEFAULT_CONNECTIONS_PER_USER + ")")
    int userConnections = ControlLimits.DEFAULT_CONNECTIONS_PER_USER;

    @Option(names = "--user-requests", paramLabel = "N",
            description = "requests a second one user other than root may send, after a burst of twice as many "
                    + "(default " + ControlLimits.DEFAULT_REQUESTS_PER_SECOND + ")")
    int userRequests = ControlLimits.DEFAULT_REQUESTS_PER_SECOND;

    @Option(names = "--user-buffers", paramLabel = "BYTES",
            description = "bytes of control buffers all users but root may hold together (default "
                    + ControlLimits.DEFAULT_BUFFER_BUDGET + ")")
    long userBuffers = ControlLimits.DEFAULT_BUFFER_BUDGET;

    /**
     * The command for {@code daemon [--control PATH] [--log-dir DIR] [--log-timestamps F] [--user-... N] [--]
     * DIR...} parsed without picocli (whose start-up would delay every service by ~150 ms), or null if the
     * arguments hold anything else, which picocli then handles.
     */
    static DaemonCommand parsePlain(String[] args) {
        DaemonCommand command = new DaemonCommand();
        List<Path> roots = new ArrayList<>();
        String[] stamps = {TimestampFormat.ISO.flag()};
        boolean plain;
        try {
            Map<String, Consumer<String>> valued = new HashMap<>(Map.of(
                    "--control", v -> command.control = Path.of(v),
                    "--log-dir", v -> command.logDir = Path.of(v), "--log-timestamps", v -> stamps[0] = v,
                    "--user-connections", v -> command.userConnections = Integer.parseInt(v),
                    "--user-requests", v -> command.userRequests = Integer.parseInt(v),
                    "--user-buffers", v -> command.userBuffers = Long.parseLong(v),
                    "--user-services", v -> command.userServices = userServices(v),
                    Reexec.OPTION, v -> command.reexecState = parseFd(v),
                    "--default-timeout-stop", v -> command.defaultTimeoutStop = stopTimeout(v)));
            valued.put("--http", v -> command.http = v);
            valued.put("--http-token", v -> command.httpToken = Path.of(v));
            plain = PlainArguments.parse(args, 1, valued,
                    Map.of("--no-cgroups", () -> command.noCgroups = true), v -> roots.add(Path.of(v)));
        } catch (IllegalArgumentException e) {
            return null; // picocli says what is wrong with it
        }
        command.roots = roots;
        try {
            command.timestamps = TimestampFormat.parse(stamps[0]);
        } catch (IllegalArgumentException e) {
            return null; // picocli says what is wrong with it
        }
        return plain && !roots.isEmpty() ? command : null;
    }

    @Override
    public Integer call() {
        if (roots.isEmpty() && units.isEmpty()) {
            System.err.println("vigil daemon: give at least one DIR of service directories or --units DIR");
            return 2;
        }
        ControlLimits limits;
        try {
            limits = new ControlLimits(userConnections, ControlLimits.DEFAULT_USER_CONNECTIONS, userBuffers,
                    userRequests, (int) Math.min(Integer.MAX_VALUE, 2L * userRequests), userServices);
        } catch (IllegalArgumentException e) {
            System.err.println("vigil daemon: --user-connections, --user-requests and --user-buffers must be "
                    + "positive, and --user-services 0 or more");
            return 2;
        }
        Duties duties;
        try {
            duties = new Duties(new CriticalServices(), watchdog.settings().map(settings -> new HardwareWatchdog(
                    settings, WatchdogDevice.LINUX, line -> System.err.println("vigil: " + line))), Optional.empty());
        } catch (IllegalArgumentException e) {
            System.err.println("vigil daemon: " + e.getMessage());
            return 2;
        }
        Optional<HttpOptions> httpOptions = Optional.empty();
        if (http != null || httpToken != null) {
            if (http == null) {
                System.err.println("vigil daemon: --http-token needs --http ADDR");
                return 2;
            }
            try {
                httpOptions = Optional.of(HttpOptions.parse(http, httpToken));
            } catch (IllegalArgumentException e) {
                System.err.println("vigil daemon: " + e.getMessage());
                return 2;
            }
        }
        Optional<Handover> handover;
        try {
            handover = readHandover(reexecState);
        } catch (IOException | HandoverCodec.MalformedException e) {
            System.err.println("vigil daemon: cannot take over from the daemon before the re-exec (its services "
                    + "are left running, unsupervised): " + e.getMessage());
            return 1;
        }
        int code = Daemon.run(roots, units, control, logDir != null ? logDir : LogLocation.defaultRoot(),
                timestamps, limits, Optional.ofNullable(target), System.err, Set.of(Signals.SIGTERM, Signals.SIGINT),
                cause -> {}, handover, new TrackingOptions(!noCgroups, defaultTimeoutStop), duties, httpOptions);
        // A clean exit: the watchdog stops counting. The exit code is a critical service's, if one ended it.
        duties.watchdog().ifPresent(HardwareWatchdog::disarm);
        return code != 0 ? code : duties.critical().exitCode();
    }

    /** A systemd time span ("90", "2min", "1s 500ms"), positive and finite. */
    private static Duration stopTimeout(String text) {
        try {
            TimeSpan span = TimeSpan.parse(text);
            if (span.equals(TimeSpan.INFINITY) || span.micros() <= 0) {
                throw new IllegalArgumentException("--default-timeout-stop must be positive and finite: " + text);
            }
            return Duration.ofNanos(span.micros() * 1000);
        } catch (InvalidValueException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** {@code yes} (the default cap), {@code no} (none) or the cap itself. */
    static int userServices(String text) {
        return switch (text) {
            case "yes" -> ControlLimits.DEFAULT_SERVICES_PER_USER;
            case "no" -> 0;
            default -> {
                int cap;
                try {
                    cap = Integer.parseInt(text);
                } catch (NumberFormatException e) {
                    cap = -1;
                }
                if (cap < 0) throw new IllegalArgumentException("--user-services takes yes, no or a number of "
                        + "services (0 or more), not \"" + text + "\"");
                yield cap;
            }
        };
    }

    static final class UserServicesConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            try {
                return userServices(text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class StopTimeoutConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            try {
                return stopTimeout(text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The state at {@code fd}, if given. */
    static Optional<Handover> readHandover(Integer fd) throws IOException, HandoverCodec.MalformedException {
        return fd == null ? Optional.empty() : Optional.of(Reexec.read(fd));
    }

    /** An fd number; -1 (refused when read) if it is not one. */
    private static int parseFd(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** tai64n, iso or none. */
    static final class TimestampConverter implements CommandLine.ITypeConverter<TimestampFormat> {
        @Override
        public TimestampFormat convert(String text) {
            try {
                return TimestampFormat.parse(text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
