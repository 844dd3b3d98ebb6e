package vigil.init;

import java.util.Optional;
import java.util.Set;
import vigil.os.Ending;
import vigil.os.Signals;

/**
 * What a signal to PID 1 asks for, as busybox init and sinit read them: INT (Ctrl-Alt-Del, once the kernel is told
 * to send it) reboots, USR1 halts; TERM (a container being stopped), USR2 and PWR (a power failure) power off.
 */
final class EndingSignals {
    private EndingSignals() {}

    /** The signals that end the system. */
    static final Set<Integer> SIGNALS = Set.of(Signals.SIGTERM, Signals.SIGUSR2, Signals.SIGPWR, Signals.SIGINT,
            Signals.SIGUSR1);

    /** The ending {@code signal} asks for; empty for a signal not in {@link #SIGNALS}. */
    static Optional<Ending> forSignal(int signal) {
        return switch (signal) {
            case Signals.SIGINT -> Optional.of(Ending.REBOOT);
            case Signals.SIGUSR1 -> Optional.of(Ending.HALT);
            case Signals.SIGTERM, Signals.SIGUSR2, Signals.SIGPWR -> Optional.of(Ending.POWER_OFF);
            default -> Optional.empty();
        };
    }
}
