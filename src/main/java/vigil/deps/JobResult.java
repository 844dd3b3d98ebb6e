package vigil.deps;

import java.util.Locale;

/** How a job ended, by systemd's names. */
public enum JobResult {
    DONE,
    /** The unit failed to reach the state the job wanted. */
    FAILED,
    /** A unit it required failed or was not started. */
    DEPENDENCY,
    /** A later job on the same unit replaced it. */
    CANCELED;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
