package vigil.daemon;

import java.util.Optional;
import java.util.function.Supplier;
import vigil.deps.JobEngine;
import vigil.deps.JobType;
import vigil.service.Service;
import vigil.service.ServiceState;
import vigil.service.Supervisor;
import vigil.service.UnitService;
import vigil.socket.SocketUnits;

/**
 * What the socket units need of the daemon: a service to activate is a unit (started by a job, so what it
 * requires starts first) or, failing that, a service directory of the same name without {@code .service}
 * ({@code Service=web}), started at once as {@code vigil start web} would.
 */
final class DaemonSockets implements SocketUnits.Services {
    private final Supervisor supervisor;
    private final Supplier<UnitTable> units;
    private final Reporter reporter;

    DaemonSockets(Supervisor supervisor, Supplier<UnitTable> units, Reporter reporter) {
        this.supervisor = supervisor;
        this.units = units;
        this.reporter = reporter;
    }

    @Override
    public boolean activate(String service) {
        if (supervisor.unit(service).isPresent()) {
            if (units.get().job(JobType.START, service) instanceof JobEngine.Outcome.Refused r) {
                reporter.say(service, "not activated: " + r.reason());
                return false;
            }
            return true;
        }
        Optional<Service> directory = directory(service);
        if (directory.isEmpty()) {
            reporter.say(service, "cannot be activated: no such unit or service directory");
            return false;
        }
        directory.get().start();
        return true;
    }

    @Override
    public boolean down(String service) {
        Optional<UnitService> unit = supervisor.unit(service);
        if (unit.isPresent()) return down(unit.get());
        return directory(service).map(d -> d.state() instanceof ServiceState.Down).orElse(true);
    }

    static boolean down(UnitService unit) {
        String state = unit.state().activeState();
        return state.equals("inactive") || state.equals("failed");
    }

    private Optional<Service> directory(String service) {
        String name = service.endsWith(".service") ? service.substring(0, service.length() - 8) : service;
        return supervisor.get(name);
    }

    @Override
    public boolean startInstance(String instance) {
        return units.get().startInstance(instance);
    }

    @Override
    public void removeInstance(String instance) {
        units.get().removeInstance(instance);
    }

    @Override
    public void changed(String socketUnit) {
        units.get().unitChanged(socketUnit);
    }
}
