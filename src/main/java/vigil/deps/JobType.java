package vigil.deps;

import java.util.Locale;

/** What a job does to its unit. */
public enum JobType {
    START, STOP,
    /** Stop, then start: once the unit is down the job becomes a start and is ordered as one. */
    RESTART,
    /** Reload an active unit (ExecReload=, the reload signal); ordered as a start. */
    RELOAD,
    /** A request only: a restart if the unit is up, else nothing (systemd's try-restart). Never installed. */
    TRY_RESTART;

    /** The word systemctl uses: {@code try-restart}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
