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
}
