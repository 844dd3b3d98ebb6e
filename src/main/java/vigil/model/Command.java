package vigil.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One program to execute: the file, its argv (argv[0] included), its working directory and its whole environment.
 * Immutable; the state machine adds arguments (finish's exit code) with {@link #withExtraArgs}.
 */
public record Command(Path executable, List<String> argv, Path workingDirectory, Map<String, String> environment) {
    public Command {
        Objects.requireNonNull(executable, "executable");
        argv = List.copyOf(argv);
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        environment = Map.copyOf(environment);
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must hold at least argv[0]");
    }

    public Command withExtraArgs(String... extra) {
        var longer = new java.util.ArrayList<>(argv);
        longer.addAll(List.of(extra));
        return new Command(executable, longer, workingDirectory, environment);
    }

    /** How a person would type it, for messages. */
    public String display() {
        return String.join(" ", argv);
    }
}
