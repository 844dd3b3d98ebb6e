package vigil.service;

import java.util.Optional;

/** A started process that may or may not have exited yet. */
public interface RunningProcess {
    int pid();

    /**
     * Sends the signal. A process that has already exited (reaped, or a zombie whose reaping is on its way) gets
     * nothing, and that is no failure: its observer hears of the exit.
     *
     * <p>A refusal is returned rather than thrown: it is no bug, but the world as it is (an unprivileged Vigil may
     * not signal a service that took another uid through a setuid program), and a state machine in the middle of a
     * transition must finish it, report the refusal and go on (a stop still arms its kill timeout).
     *
     * @return empty if the signal was sent or the process is gone; else why the kernel refused it, in words
     */
    Optional<String> signal(int signal);
}
