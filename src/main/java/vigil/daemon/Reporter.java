package vigil.daemon;

import java.io.PrintStream;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceListener;

/** Vigil's own messages: one line per event on stderr, naming the service and the reason. */
public final class Reporter implements ServiceListener {
    private final PrintStream out;

    public Reporter(PrintStream out) {
        this.out = out;
    }

    /** A line about a service that is not (or no longer) supervised: found, incomplete, invalid, removed. */
    public void say(String service, String message) {
        out.println("vigil: " + service + ": " + message);
    }

    /** A line about Vigil itself. */
    public void say(String message) {
        out.println("vigil: " + message);
    }

    @Override
    public void stateChanged(Service service) {}

    @Override
    public void event(Service service, ServiceEvent event) {
        say(service.name(), event.describe());
    }
}
