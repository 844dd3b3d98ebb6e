package vigil.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlLimits;
import vigil.daemon.CriticalServices;
import vigil.daemon.Daemon;
import vigil.daemon.Duties;
import vigil.daemon.TrackingOptions;
import vigil.init.OneCommand;
import vigil.log.LogLocation;
import vigil.log.TimestampFormat;
import vigil.os.Children;
import vigil.os.Namespaces;
import vigil.os.OsException;

@Command(name = "run",
        description = {"Run one command under a minimal init, as a container's entry point (as tini does): the "
                + "command gets a process group of its own, HUP, INT, TERM, USR1, USR2, WINCH, CONT, ALRM and PWR "
                + "are passed on to that group, every orphan is reaped, and the exit code is the command's (128 + "
                + "the signal, if one killed it).",
                "With --services DIR (or --units DIR), a service tree is supervised beside it, as vigil daemon "
                        + "does: the command starts once the tree has, and when it ends the tree is stopped in order "
                        + "and vigil exits with the command's code.",
                "Example: vigil run -- nginx -g 'daemon off;'",
                "Example: vigil run --services /etc/service -- /app/server"})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--services", paramLabel = "DIR",
            description = "a directory of service directories to supervise beside the command (repeatable)")
    List<Path> services = new ArrayList<>();

    @Option(names = "--units", arity = "1..*", paramLabel = "DIR",
            description = "directories of systemd unit files to run beside the command")
    List<Path> units = new ArrayList<>();

    @Option(names = "--control", paramLabel = "PATH",
            description = "with a service tree: the control socket (default as for vigil daemon)")
    Path control;

    @Option(names = "--log-dir", paramLabel = "LOGDIR",
            description = "with a service tree: where log directories go (default as for vigil daemon)")
    Path logDir;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command and its arguments (after --)")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        if (Children.getpid() == 1 && Namespaces.inInitialPidNamespace()) {
            // Its exit would panic the kernel.
            System.err.println("vigil run: not as the machine's PID 1; use vigil init");
            return 2;
        }
        Map<String, String> environment = System.getenv();
        Path program = OneCommand.resolve(command.getFirst(), environment.getOrDefault("PATH", "/usr/bin:/bin"));
        if (services.isEmpty() && units.isEmpty()) {
            try {
                return OneCommand.run(command, environment);
            } catch (OsException e) {
                System.err.println("vigil run: " + e.getMessage());
                return 1;
            }
        }
        // Beside a tree: the daemon runs the command, and its signals are the command's (no stop signal of its own).
        Duties duties = new Duties(new CriticalServices(), Optional.empty(), Optional.of(new vigil.model.Command(
                program, command, Path.of("").toAbsolutePath(), environment)));
        int code = Daemon.run(services, units, control, logDir != null ? logDir : LogLocation.defaultRoot(),
                TimestampFormat.ISO, ControlLimits.DEFAULT, Optional.empty(), System.err, Set.of(), cause -> {},
                Optional.empty(), TrackingOptions.DEFAULT, duties, Optional.empty());
        return duties.critical().endedBy().isPresent() ? duties.critical().exitCode() : code;
    }
}
