package vigil.deps;

/** A unit's active state as the job engine sees it (systemd's UnitActiveState). */
public enum Activity {
    INACTIVE, ACTIVATING, ACTIVE,
    /** Active, and running its reload: a reload job waits for it to end. */
    RELOADING,
    DEACTIVATING, FAILED;

    /** Inactive or failed: nothing runs. */
    public boolean down() {
        return this == INACTIVE || this == FAILED;
    }

    /** Active or on its way there. */
    public boolean up() {
        return active() || this == ACTIVATING;
    }

    /** Active, reloading or not: a start job on it is done. */
    public boolean active() {
        return this == ACTIVE || this == RELOADING;
    }
}
