package vigil.service;

import vigil.os.ExitStatus;

/**
 * What becomes of a started process, reported on the loop thread in the order the events happened. Only
 * {@link #exited} must be handled: most processes (finish, probes, control scripts and commands) matter only by how
 * they end.
 */
public interface ProcessObserver {
    /** execve failed in the child with this errno; {@link #exited} (code 111) follows. */
    void execFailed(int errno, String reason);

    /**
     * execve succeeded: the program itself runs now, not the helper that set it up (what Type=exec waits for).
     * Reported at most once, before {@link #ready} and {@link #exited}; never after {@link #execFailed}.
     */
    default void execSucceeded() {}

    /** The process wrote a newline to its readiness fd. Reported at most once. */
    default void ready() {}

    /** The process ended and was reaped; its pid is no longer its own. Always the last event. */
    void exited(ExitStatus status);
}
