package vigil.deps;

import java.util.Optional;

/**
 * A job installed in the engine: one per unit at most. A restart becomes a start once its unit is down, and is
 * ordered as a start from then on.
 */
public final class Job {
    private final long id;
    private final String unit;
    private JobType type;
    private boolean running;
    private JobResult result;

    Job(long id, String unit, JobType type) {
        this.id = id;
        this.unit = unit;
        this.type = type;
    }

    /** The engine's number for it, as systemd's job ids: unique while the daemon runs, for list-jobs and events. */
    public long id() {
        return id;
    }

    public String unit() {
        return unit;
    }

    public JobType type() {
        return type;
    }

    /** Acting on its unit, as opposed to waiting for the jobs it is ordered after. */
    public boolean running() {
        return running;
    }

    /** How it ended; empty while it is installed. */
    public Optional<JobResult> result() {
        return Optional.ofNullable(result);
    }

    void end(JobResult how) {
        result = how;
    }

    void run() {
        running = true;
    }

    /** The restart's stop is done: from now on it is a start that waits its turn. */
    void becomeStart() {
        type = JobType.START;
        running = false;
    }

    @Override
    public String toString() {
        return unit + "/" + type.word();
    }
}
