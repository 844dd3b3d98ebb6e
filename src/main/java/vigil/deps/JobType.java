package vigil.deps;

import java.util.Locale;

/** What a job does to its unit. */
public enum JobType {
    START, STOP,
    /** Stop, then start: once the unit is down the job becomes a start and is ordered as one. */
    RESTART;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
