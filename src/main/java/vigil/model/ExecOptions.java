package vigil.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The process settings beyond user and working directory that vigil-exec applies before exec (systemd.exec(5)
 * for units); empty values leave what the process inherits from Vigil.
 *
 * @param rlimits resource limits: RLIMIT_* number, soft, hard (-1 for infinity)
 */
public record ExecOptions(Optional<Path> rootDirectory, OptionalInt umask, OptionalInt nice, OptionalInt oomScoreAdj,
                          List<Limit> rlimits, boolean noNewPrivileges) {
    public static final ExecOptions NONE = new ExecOptions(Optional.empty(), OptionalInt.empty(),
            OptionalInt.empty(), OptionalInt.empty(), List.of(), false);

    /** One setrlimit(2). */
    public record Limit(int resource, long soft, long hard) {}

    public ExecOptions {
        Objects.requireNonNull(rootDirectory, "rootDirectory");
        Objects.requireNonNull(umask, "umask");
        Objects.requireNonNull(nice, "nice");
        Objects.requireNonNull(oomScoreAdj, "oomScoreAdj");
        rlimits = List.copyOf(rlimits);
    }
}
