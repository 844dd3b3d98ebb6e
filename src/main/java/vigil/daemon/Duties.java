package vigil.daemon;

import java.util.Optional;
import vigil.model.Command;
import vigil.watchdog.HardwareWatchdog;

/**
 * What a daemon does beside supervising, for the one who started it: which services' end ends it (and with which
 * exit code), the hardware watchdog it pets from its loop, and the one command it runs as tini would
 * ({@code vigil run --services}). The caller keeps it, and reads the exit code and disarms the watchdog after
 * {@link Daemon#run} returned.
 *
 * @param command the command whose end stops the daemon; while it runs, the signals a terminal or a container
 *                runtime sends are its, not the daemon's
 */
public record Duties(CriticalServices critical, Optional<HardwareWatchdog> watchdog, Optional<Command> command) {
    /** Critical services only, as any daemon has them. */
    public static Duties plain() {
        return new Duties(new CriticalServices(), Optional.empty(), Optional.empty());
    }
}
