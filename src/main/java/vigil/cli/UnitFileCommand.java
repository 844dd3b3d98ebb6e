package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;

/**
 * What enable, disable and is-enabled share: they work on the unit files' symlinks, in the unit directories given
 * with {@code --units} (then no daemon is needed, as {@code systemctl --root}) or else the running daemon's.
 */
abstract class UnitFileCommand extends ClientCommand {
    @Option(names = "--units", arity = "1..*", paramLabel = "DIR", parameterConsumer = DirectoryValues.class,
            description = "the directories of unit files (default: the running daemon's); repeatable, or several "
                    + "directories after one --units")
    List<Path> units = new ArrayList<>();

    @Parameters(paramLabel = "UNIT", arity = "1..*", description = "the units")
    List<String> names;

    /** Does the work on the files of {@code directories}; returns the exit code. */
    abstract int onFiles(List<Path> directories);

    /** Whether the daemon is needed even when the directories are given (to start what was enabled...). */
    boolean needsDaemon() {
        return false;
    }

    /** With the daemon, once the files are done: reload, start, stop... */
    int afterwards(ControlClient client) throws IOException, Failed {
        return OK;
    }

    @Override
    final Optional<Integer> withoutDaemon() {
        return units.isEmpty() || needsDaemon() ? Optional.empty() : Optional.of(onFiles(units));
    }

    @Override
    final int run(ControlClient client) throws IOException, Failed {
        List<Path> directories = units.isEmpty() ? daemonDirectories(client) : units;
        if (directories.isEmpty()) throw new Failed("the daemon has no unit directories; name them with --units DIR",
                FAILURE);
        int exit = onFiles(directories);
        return exit == OK ? afterwards(client) : exit;
    }

    static List<Path> daemonDirectories(ControlClient client) throws IOException, Failed {
        Map<String, Object> hello = expectOk(client, client.request("hello"));
        List<Path> out = new ArrayList<>();
        if (hello.get("unit_dirs") instanceof List<?> dirs) for (Object d : dirs) out.add(Path.of(String.valueOf(d)));
        return out;
    }

    /** Reads the daemon's unit files again, so that what the links changed is in its graph. */
    static void daemonReload(ControlClient client) throws IOException, Failed {
        expectOk(client, client.request("daemon-reload"));
    }

    /**
     * Starts or stops each unit and waits for its job, as start and stop do; returns the first failure's exit code.
     */
    int act(ControlClient client, String verb) throws IOException {
        int exit = OK;
        for (String name : names) {
            Map<String, Object> request = client.request(verb);
            request.put("name", name);
            request.put("wait", true);
            try {
                JobsText.report(expectOk(client, request), out);
            } catch (Failed f) {
                err.println("vigil: " + f.getMessage());
                if (exit == OK) exit = f.exitCode;
            }
        }
        return exit;
    }
}
