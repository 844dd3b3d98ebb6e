package vigil.socket;

import vigil.deps.Activity;
import vigil.deps.UnitPort;

/** The job engine's port over both kinds of unit it does not run itself: services, and socket units. */
public final class UnitsAndSockets implements UnitPort {
    private final UnitPort services;
    private final SocketUnits sockets;

    public UnitsAndSockets(UnitPort services, SocketUnits sockets) {
        this.services = services;
        this.sockets = sockets;
    }

    @Override
    public Activity activity(String name) {
        return sockets.contains(name) ? sockets.activity(name) : services.activity(name);
    }

    @Override
    public void start(String name) {
        if (sockets.contains(name)) sockets.start(name);
        else services.start(name);
    }

    @Override
    public void stop(String name, boolean restarting) {
        if (sockets.contains(name)) sockets.stop(name);
        else services.stop(name, restarting);
    }

    /** A socket unit has nothing to reload. */
    @Override
    public boolean reload(String name) {
        return !sockets.contains(name) && services.reload(name);
    }
}
