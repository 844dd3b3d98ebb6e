package vigil.os;

/**
 * How a process ended, as waitid(2) reports it: either an exit code or a terminating signal.
 *
 * @param code   the exit code when {@link #exited()}, else -1
 * @param signal the signal number when killed, else 0
 */
public record ExitStatus(int code, int signal, boolean coreDumped) {
    public static ExitStatus exited(int code) {
        return new ExitStatus(code, 0, false);
    }

    public static ExitStatus killed(int signal) {
        return new ExitStatus(-1, signal, false);
    }

    public boolean exited() {
        return signal == 0;
    }

    public boolean killed() {
        return signal != 0;
    }

    /** "exited 1" or "killed by SIGKILL": for messages. */
    public String describe() {
        return exited() ? "exited " + code : "killed by " + Signals.name(signal) + (coreDumped ? " (core dumped)" : "");
    }
}
