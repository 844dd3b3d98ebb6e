package vigil.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One program to execute: the file, its argv (argv[0] included), its working directory, its whole environment,
 * who it runs as (empty: as Vigil itself), and the rest of its exec context. Immutable; the state machine adds
 * arguments (finish's exit code) with {@link #withExtraArgs}.
 */
public record Command(Path executable, List<String> argv, Path workingDirectory, Map<String, String> environment,
                      Optional<Credentials> user, ExecOptions options) {
    public Command {
        Objects.requireNonNull(executable, "executable");
        argv = List.copyOf(argv);
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        environment = Map.copyOf(environment);
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(options, "options");
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must hold at least argv[0]");
    }

    /** A command with no exec options beyond its user. */
    public Command(Path executable, List<String> argv, Path workingDirectory, Map<String, String> environment,
                   Optional<Credentials> user) {
        this(executable, argv, workingDirectory, environment, user, ExecOptions.NONE);
    }

    /** A command that runs as Vigil's own user. */
    public Command(Path executable, List<String> argv, Path workingDirectory, Map<String, String> environment) {
        this(executable, argv, workingDirectory, environment, Optional.empty());
    }

    public Command withExtraArgs(String... extra) {
        var longer = new java.util.ArrayList<>(argv);
        longer.addAll(List.of(extra));
        return new Command(executable, longer, workingDirectory, environment, user, options);
    }

    /** How a person would type it, for messages. */
    public String display() {
        return String.join(" ", argv);
    }
}
