package vigil.deps;

/** A unit's active state as the job engine sees it (systemd's UnitActiveState, reloading counted as active). */
public enum Activity {
    INACTIVE, ACTIVATING, ACTIVE, DEACTIVATING, FAILED;

    /** Inactive or failed: nothing runs. */
    public boolean down() {
        return this == INACTIVE || this == FAILED;
    }

    /** Active or on its way there. */
    public boolean up() {
        return this == ACTIVE || this == ACTIVATING;
    }
}
