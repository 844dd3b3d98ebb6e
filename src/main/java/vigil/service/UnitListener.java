package vigil.service;

/** Hears what happens to systemd units, on the loop thread: the daemon reports and writes status from here. */
public interface UnitListener {
    /** Something visible in status changed: state, pids, status text, result. */
    void stateChanged(UnitService unit);

    void event(UnitService unit, UnitEvent event);

    /** The unit stopped with want=exit and has been forgotten. */
    default void removed(UnitService unit) {}
}
