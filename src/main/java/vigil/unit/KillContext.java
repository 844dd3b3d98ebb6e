package vigil.unit;

import java.util.List;
import java.util.OptionalInt;
import vigil.os.Signals;

/**
 * How a unit's processes are stopped (systemd.kill(5)).
 *
 * @param killMode          {@code control-group} (default), {@code mixed}, {@code process} or {@code none}
 * @param killSignal        sent first, followed by SIGCONT (SIGTERM)
 * @param restartKillSignal used instead of {@link #killSignal} on restart, if set
 * @param sendSighup        also send SIGHUP right after the kill signal
 * @param sendSigkill       send {@link #finalKillSignal} when the stop timeout passes (yes)
 * @param finalKillSignal   SIGKILL unless set
 * @param watchdogSignal    sent when the watchdog fires (SIGABRT)
 */
public record KillContext(String killMode, int killSignal, OptionalInt restartKillSignal, boolean sendSighup,
                          boolean sendSigkill, int finalKillSignal, int watchdogSignal) {
    static final List<String> KILL_MODES = List.of("control-group", "mixed", "process", "none");

    /** Collects kill settings in file order. */
    static final class Builder {
        private String killMode = "control-group";
        private int killSignal = Signals.SIGTERM;
        private OptionalInt restartKillSignal = OptionalInt.empty();
        private boolean sendSighup;
        private boolean sendSigkill = true;
        private int finalKillSignal = Signals.SIGKILL;
        private int watchdogSignal = Signals.SIGABRT;

        /** Applies {@code key=value} if it is a kill setting; returns false if it is not one. */
        boolean set(String key, String value) throws InvalidValueException {
            boolean empty = value.isEmpty();
            switch (key) {
                case "KillMode" -> killMode = empty ? "control-group" : Values.oneOf(value, KILL_MODES, "kill mode");
                case "KillSignal" -> killSignal = empty ? Signals.SIGTERM : Values.signal(value);
                case "RestartKillSignal" -> restartKillSignal = empty ? OptionalInt.empty()
                        : OptionalInt.of(Values.signal(value));
                case "SendSIGHUP" -> sendSighup = !empty && Values.bool(value);
                case "SendSIGKILL" -> sendSigkill = empty || Values.bool(value);
                case "FinalKillSignal" -> finalKillSignal = empty ? Signals.SIGKILL : Values.signal(value);
                case "WatchdogSignal" -> watchdogSignal = empty ? Signals.SIGABRT : Values.signal(value);
                default -> {
                    return false;
                }
            }
            return true;
        }

        KillContext build() {
            return new KillContext(killMode, killSignal, restartKillSignal, sendSighup, sendSigkill, finalKillSignal,
                    watchdogSignal);
        }
    }
}
