package vigil.service;

/** Hears what happens to systemd units, on the loop thread: the daemon reports and writes status from here. */
public interface UnitListener {
    /** Something visible in status changed: state, pids, status text, result. */
    void stateChanged(UnitService unit);

    /** One line for a human, without the "vigil: NAME: " prefix. */
    void event(UnitService unit, String message);

    /** The unit stopped with want=exit and has been forgotten. */
    default void removed(UnitService unit) {}
}
