package vigil.service;

/** A started process that may or may not have exited yet. */
public interface RunningProcess {
    int pid();

    /** Sends the signal unless the process has already been reaped, in which case it does nothing. */
    void signal(int signal);
}
