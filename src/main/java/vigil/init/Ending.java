package vigil.init;

import java.util.Optional;
import vigil.os.Power;
import vigil.os.Signals;

/** How the system ends once everything has stopped: what reboot(2) is asked for. */
public enum Ending {
    POWER_OFF("poweroff", Power.POWER_OFF), REBOOT("reboot", Power.RESTART), HALT("halt", Power.HALT);

    private final String word;
    private final int command;

    Ending(String word, int command) {
        this.word = word;
        this.command = command;
    }

    /** "poweroff", "reboot" or "halt": the shutdown script's argument. */
    public String word() {
        return word;
    }

    /** reboot(2)'s command. */
    int command() {
        return command;
    }

    /** The signals that end the system, each meaning its {@link #forSignal} ending. */
    public static final java.util.Set<Integer> SIGNALS = java.util.Set.of(Signals.SIGTERM, Signals.SIGUSR2,
            Signals.SIGPWR, Signals.SIGINT, Signals.SIGUSR1);

    /**
     * What a signal to PID 1 asks for, as busybox init and sinit read them: INT (Ctrl-Alt-Del, once the kernel is
     * told to send it) reboots, USR1 halts; TERM (a container being stopped), USR2 and PWR (a power failure) power
     * off. Empty for any other signal.
     */
    public static Optional<Ending> forSignal(int signal) {
        return switch (signal) {
            case Signals.SIGINT -> Optional.of(REBOOT);
            case Signals.SIGUSR1 -> Optional.of(HALT);
            case Signals.SIGTERM, Signals.SIGUSR2, Signals.SIGPWR -> Optional.of(POWER_OFF);
            default -> Optional.empty();
        };
    }
}
