package vigil.deps;

/** Hears what the job engine does, on the loop thread: the daemon reports it and tells waiting clients. */
public interface JobListener {
    /** A job was installed; it waits for what it is ordered after. */
    default void queued(Job job) {}

    /** A job acts on its unit now. */
    default void started(Job job) {}

    /** A job finished with {@code result}; it is no longer installed. */
    void finished(Job job, JobResult result);

    /** One line for a human about {@code unit}: what a transaction left out, why a request failed. */
    void say(String unit, String message);

    /**
     * A target's start is done: it is active, as is everything it is ordered after ({@code Reached target} in
     * systemd's log); {@code engine} is what the engine's own work has cost since the daemon started.
     */
    default void reached(String target, EngineMeter.Reading engine) {}
}
