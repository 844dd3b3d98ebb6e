package vigil.deps;

/**
 * What the job engine needs of the units that run processes: their state, and a start or a stop. The engine never
 * sees processes; the daemon answers from its state machines, tests from a fake. Calls come on the loop thread and
 * may report a change back through {@link JobEngine#unitChanged} before they return.
 */
public interface UnitPort {
    Activity activity(String name);

    /** Starts the unit, unless it is active or on its way. */
    void start(String name);

    /**
     * Stops the unit; no automatic restart follows.
     *
     * @param restarting the first half of a restart, whose job starts it again (RestartKillSignal= applies)
     */
    void stop(String name, boolean restarting);

    /**
     * Reloads the active unit; it reports {@link Activity#RELOADING} until the reload is over.
     *
     * @return false if it cannot be reloaded (not running, or no ExecReload= nor reload signal)
     */
    boolean reload(String name);
}
