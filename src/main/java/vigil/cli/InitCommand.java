package vigil.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.http.HttpOptions;
import vigil.init.Init;
import vigil.init.KernelCommandLine;
import vigil.log.LogLocation;
import vigil.log.TimestampFormat;
import vigil.os.Children;
import vigil.os.Namespaces;
import vigil.reexec.Handover;
import vigil.reexec.HandoverCodec;
import vigil.reexec.Reexec;
import vigil.watchdog.HardwareWatchdog;

@Command(name = "init",
        description = {"Run as PID 1 (the system's init, or a container's): run the boot script, supervise as "
                + "vigil daemon does, and on a signal stop every service, run the shutdown script, stop every "
                + "process left and end the system.",
                "TERM, USR2 and PWR power off; INT (Ctrl-Alt-Del) reboots; USR1 halts; vigil shutdown powers off.",
                "A container's init exits with the exit code of the critical service whose end stopped it (or that "
                        + "stopped last with it), else 0; see the critical file and X-Vigil-Critical=.",
                "Refuses to run as any other process: it ends by signalling every process."})
final class InitCommand implements Callable<Integer> {
    static final Path DEFAULT_BOOT = Path.of("/etc/vigil/boot"), DEFAULT_SHUTDOWN = Path.of("/etc/vigil/shutdown");
    static final Path DEFAULT_SERVICES = Path.of("/etc/service");

    @Option(names = "--boot", paramLabel = "FILE",
            description = "run first, to its end; exit 100 skips to the shutdown (default: /etc/vigil/boot if it "
                    + "exists)")
    Path boot;

    @Option(names = "--shutdown", paramLabel = "FILE",
            description = "run once the services have stopped, with poweroff, reboot or halt as its argument "
                    + "(default: /etc/vigil/shutdown if it exists)")
    Path shutdown;

    @Option(names = "--control", paramLabel = "PATH", description = "the control socket (default /run/vigil/control)")
    Path control;

    @Option(names = "--units", arity = "1..*", paramLabel = "DIR", description = "directories of systemd unit files")
    List<Path> units = new ArrayList<>();

    @Option(names = "--target", paramLabel = "NAME",
            description = "the target to start the units with (default: the kernel command line's vigil.target=NAME, "
                    + "or rescue.target for single, emergency.target for emergency; else default.target; without one "
                    + "in the unit directories, every unit starts)")
    String target;

    @Option(names = "--log-dir", paramLabel = "LOGDIR", description = "where log directories go (default "
            + "/var/log/vigil)")
    Path logDir;

    @Parameters(arity = "0..*", paramLabel = "DIR",
            description = "directories of service directories (default: /etc/service)")
    List<Path> roots = new ArrayList<>();

    @Mixin
    WatchdogOptions watchdog = new WatchdogOptions();

    /** Set by an init that re-executed itself: the fd of the state it handed over. Not for people. */
    @Option(names = Reexec.OPTION, hidden = true, paramLabel = "FD")
    Integer reexecState;

    @Option(names = "--http", paramLabel = "ADDR",
            description = "serve metrics, health probes and a status page on 127.0.0.1:PORT, [::1]:PORT or unix:PATH")
    String http;

    @Option(names = "--http-token", paramLabel = "FILE",
            description = "the bearer token that actions over HTTP (TCP) need; without it TCP is read-only")
    Path httpToken;

    /**
     * The command for a plain {@code init} line parsed without picocli, whose start-up costs PID 1 about 150 ms of
     * CPU before the first service starts; null if the line holds anything else (help, a typo), which picocli then
     * handles. {@code --units} takes every word up to the next option, as picocli's arity does.
     */
    static InitCommand parsePlain(String[] args) {
        InitCommand command = new InitCommand();
        List<String> words = new ArrayList<>(List.of(args).subList(0, 1));
        boolean units = false, noUnitYet = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--units")) {
                if (noUnitYet) return null;
                units = noUnitYet = true;
            } else if (units && !a.startsWith("-")) {
                words.add("--units=" + a);
                noUnitYet = false;
            } else {
                if (noUnitYet) return null; // --units with no directory: picocli says so
                units = false;
                words.add(a);
            }
        }
        if (noUnitYet) return null;
        try {
            boolean plain = PlainArguments.parse(words.toArray(String[]::new), 1, Map.ofEntries(
                            Map.entry("--boot", v -> command.boot = Path.of(v)),
                            Map.entry("--shutdown", v -> command.shutdown = Path.of(v)),
                            Map.entry("--control", v -> command.control = Path.of(v)),
                            Map.entry("--units", v -> command.units.add(Path.of(v))),
                            Map.entry("--target", v -> command.target = v),
                            Map.entry("--log-dir", v -> command.logDir = Path.of(v)),
                            Map.entry("--watchdog-device", v -> command.watchdog.devices.add(Path.of(v))),
                            Map.entry("--watchdog-sec", v -> command.watchdog.runtimeSeconds = Integer.parseInt(v)),
                            Map.entry("--watchdog-reboot-sec", v -> command.watchdog.rebootSeconds = Integer.parseInt(v)),
                            Map.entry("--http", v -> command.http = v),
                            Map.entry("--http-token", v -> command.httpToken = Path.of(v)),
                            Map.entry(Reexec.OPTION, v -> command.reexecState = Integer.parseInt(v))),
                    Map.of(), v -> command.roots.add(Path.of(v)));
            return plain ? command : null;
        } catch (IllegalArgumentException e) {
            return null; // picocli says what is wrong with it
        }
    }

    @Override
    public Integer call() {
        if (Children.getpid() != 1) {
            System.err.println("vigil init: not PID 1; to supervise services as any other process, use vigil daemon");
            return 2;
        }
        Optional<HardwareWatchdog.Settings> watchdogSettings;
        try {
            watchdogSettings = watchdog.settings();
        } catch (IllegalArgumentException e) {
            // Refused before anything starts: the kernel's init= goes on without it rather than panic.
            System.err.println("vigil init: " + e.getMessage() + "; no hardware watchdog");
            watchdogSettings = Optional.empty();
        }
        List<Path> services = roots.isEmpty() && units.isEmpty() ? List.of(DEFAULT_SERVICES) : roots;
        Optional<Handover> handover = Optional.empty();
        try {
            handover = DaemonCommand.readHandover(reexecState);
        } catch (IOException | HandoverCodec.MalformedException e) {
            // PID 1 must not exit: it goes on as after a boot, and says so.
            System.err.println("vigil init: cannot take over from the init before the re-exec: " + e.getMessage());
        }
        new Init(script(boot, DEFAULT_BOOT), script(shutdown, DEFAULT_SHUTDOWN), services, units,
                target != null ? Optional.of(target) : kernelTarget(), control, logDir != null ? logDir : LogLocation.defaultRoot(),
                TimestampFormat.ISO, handover, watchdogSettings)
                .run(System.err, httpOptions());
        throw new AssertionError("the init returned");
    }

    /** {@code --http}; PID 1 must not exit, so a bad one is said and left out. */
    private Optional<HttpOptions> httpOptions() {
        if (http == null) return Optional.empty();
        try {
            return Optional.of(HttpOptions.parse(http, httpToken));
        } catch (IllegalArgumentException e) {
            System.err.println("vigil init: " + e.getMessage() + "; not serving HTTP");
            return Optional.empty();
        }
    }

    /**
     * The target the kernel's command line asks for (vigil.target=, single, emergency...). The machine's init
     * only: a container's /proc/cmdline is its host's.
     */
    private static Optional<String> kernelTarget() {
        return Namespaces.inInitialPidNamespace() ? KernelCommandLine.target() : Optional.empty();
    }

    /** The script given, or the default one if it exists. */
    private static Optional<Path> script(Path given, Path fallback) {
        if (given != null) return Optional.of(given.toAbsolutePath());
        return Files.exists(fallback) ? Optional.of(fallback) : Optional.empty();
    }
}
