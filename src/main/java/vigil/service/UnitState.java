package vigil.service;

import java.util.Locale;

/**
 * Where a systemd service unit is in its job: systemd's service sub-states (systemd.service(5), {@code systemctl
 * status}), each belonging to one of the unit active states.
 */
public enum UnitState {
    DEAD, CONDITION, START_PRE, START, START_POST, RUNNING, EXITED, RELOAD, STOP, STOP_WATCHDOG, STOP_SIGTERM,
    STOP_SIGKILL, STOP_POST, FINAL_SIGTERM, FINAL_SIGKILL, FAILED, AUTO_RESTART;

    /** systemd's name for the sub-state: {@code stop-sigterm}. */
    public String subState() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The unit's active state: inactive, activating, active, reloading, deactivating or failed. */
    public String activeState() {
        return switch (this) {
            case DEAD -> "inactive";
            case FAILED -> "failed";
            case CONDITION, START_PRE, START, START_POST, AUTO_RESTART -> "activating";
            case RUNNING, EXITED -> "active";
            case RELOAD -> "reloading";
            case STOP, STOP_WATCHDOG, STOP_SIGTERM, STOP_SIGKILL, STOP_POST, FINAL_SIGTERM, FINAL_SIGKILL ->
                    "deactivating";
        };
    }

    boolean starting() {
        return this == CONDITION || this == START_PRE || this == START || this == START_POST;
    }

    boolean stopping() {
        return activeState().equals("deactivating");
    }

    /** Nothing runs and nothing is scheduled but a restart. */
    boolean inactive() {
        return this == DEAD || this == FAILED || this == AUTO_RESTART;
    }

    /** How a run of the unit ended, as {@code $SERVICE_RESULT} names it. */
    public enum Result {
        SUCCESS, RESOURCES, PROTOCOL, TIMEOUT, EXIT_CODE, SIGNAL, CORE_DUMP, WATCHDOG, START_LIMIT_HIT,
        /** The OOM killer killed a process of the unit (its cgroup's memory limit, or the machine's). */
        OOM_KILL,
        /** {@code ExecCondition=} exited 1..254: the unit is skipped, which is no failure. */
        SKIP_CONDITION;

        public String systemdName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
