package vigil.service;

/**
 * Hears every service's events and state changes, on the loop thread. The daemon writes {@code supervise/} files
 * and messages from here; tests record.
 */
public interface ServiceListener {
    /** Something visible in status changed: state, want, pid, paused or got-TERM. */
    void stateChanged(Service service);

    void event(Service service, ServiceEvent event);

    /** The service is down with want=exit and has been forgotten; release what belongs to it. */
    default void removed(Service service) {}
}
