package vigil.service;

/**
 * Vigil's built-in log of one service: a pipe whose write end is the stdout and stderr of the service's processes
 * and whose read end Vigil reads into the service's log directory. It is made when the service is added and kept
 * across restarts, so nothing written between two runs is lost, and closed only once the service is gone.
 */
public interface OutputLog {
    /** Reads what is left in the pipe, ends a partial last line, and closes the log. Idempotent. */
    void close();
}
