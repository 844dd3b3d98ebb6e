package vigil.os;

import java.util.Optional;

/** How the system ends once everything has stopped: what reboot(2) is asked for. */
public enum Ending {
    POWER_OFF("poweroff", Power.POWER_OFF), REBOOT("reboot", Power.RESTART), HALT("halt", Power.HALT);

    private final String word;
    private final int command;

    Ending(String word, int command) {
        this.word = word;
        this.command = command;
    }

    /** "poweroff", "reboot" or "halt": as the commands of the same names, and the shutdown script's argument. */
    public String word() {
        return word;
    }

    /** reboot(2)'s command. */
    int command() {
        return command;
    }

    /** The ending named by {@link #word()}; empty for any other word. */
    public static Optional<Ending> parse(String word) {
        for (Ending ending : values()) {
            if (ending.word.equals(word)) return Optional.of(ending);
        }
        return Optional.empty();
    }
}
