package vigil.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.daemon.Daemon;

@Command(name = "daemon",
        description = {"Supervise every service directory in each DIR (as runsvdir does), and run the systemd "
                + ".service units of --units DIR, until TERM or INT.",
                "New, removed and renamed entries take effect at once.",
                "Listens for control requests (the vigil commands) on a unix socket; runtime state (transient "
                        + "services, supervise/ of read-only service directories) is kept beside it."})
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

    /**
     * The command for {@code daemon [--control PATH] [--] DIR...} parsed without picocli (whose start-up would
     * delay every service by ~150 ms), or null if the arguments hold anything else, which picocli then handles.
     */
    static DaemonCommand parsePlain(String[] args) {
        DaemonCommand command = new DaemonCommand();
        List<Path> roots = new ArrayList<>();
        boolean plain = PlainArguments.parse(args, 1, Map.of("--control", v -> command.control = Path.of(v)),
                Map.of(), v -> roots.add(Path.of(v)));
        command.roots = roots;
        return plain && !roots.isEmpty() ? command : null;
    }

    @Override
    public Integer call() {
        if (roots.isEmpty() && units.isEmpty()) {
            System.err.println("vigil daemon: give at least one DIR of service directories or --units DIR");
            return 2;
        }
        return Daemon.run(roots, units, control, System.err);
    }
}
