package vigil.control;

import java.util.Collection;
import java.util.Optional;
import vigil.model.ServiceSpec;
import vigil.service.Service;
import vigil.service.UnitService;

/** What the control commands need from the daemon that runs them. All calls come on the loop thread. */
public interface ControlHost {
    /** Every supervised service, loggers included. */
    Collection<Service> services();

    /** The service of that name; a logger is {@code NAME/log}. */
    Optional<Service> service(String name);

    /**
     * Supervises a transient service as if it had been found in a scanned directory.
     *
     * @throws Protocol.Failure if it cannot be supervised, with the reason
     */
    void add(ServiceSpec spec) throws Protocol.Failure;

    /** Stops the service (then its logger) and forgets it. */
    void remove(String name);

    /** Every systemd unit the daemon runs. */
    Collection<UnitService> units();

    /** The unit of that name ({@code foo} means {@code foo.service}). */
    Optional<UnitService> unit(String name);

    /** Reads the unit files again; returns what changed, in one line. */
    String daemonReload();

    /** Looks at every scanned directory again. */
    void rescan();

    /** Stops every service in order and then exits; {@code why} is said in the daemon's log. */
    void shutdown(String why);

    /** True once a shutdown has begun. */
    boolean stopping();
}
