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
 * @param rlimits      resource limits: RLIMIT_* number, soft, hard (-1 for infinity)
 * @param capabilities the capability sets and securebits
 */
public record ExecOptions(Optional<Path> rootDirectory, OptionalInt umask, OptionalInt nice, OptionalInt oomScoreAdj,
                          List<Limit> rlimits, boolean noNewPrivileges, CapabilitySets capabilities) {
    public static final ExecOptions NONE = new ExecOptions(Optional.empty(), OptionalInt.empty(),
            OptionalInt.empty(), OptionalInt.empty(), List.of(), false, CapabilitySets.NONE);

    /**
     * systemd's capability settings, bit n for capability n.
     *
     * @param boundingSet what stays in the bounding set ({@code CapabilityBoundingSet=}); -1 (all) leaves it alone
     * @param ambient     raised in the ambient set, so a program run as a user other than root has them
     * @param secureBits  securebits(7) flags to set; 0 leaves them alone
     */
    public record CapabilitySets(long boundingSet, long ambient, int secureBits) {
        public static final CapabilitySets NONE = new CapabilitySets(-1L, 0, 0);
    }

    /** One setrlimit(2). */
    public record Limit(int resource, long soft, long hard) {}

    public ExecOptions {
        Objects.requireNonNull(rootDirectory, "rootDirectory");
        Objects.requireNonNull(umask, "umask");
        Objects.requireNonNull(nice, "nice");
        Objects.requireNonNull(oomScoreAdj, "oomScoreAdj");
        rlimits = List.copyOf(rlimits);
        Objects.requireNonNull(capabilities, "capabilities");
    }
}
