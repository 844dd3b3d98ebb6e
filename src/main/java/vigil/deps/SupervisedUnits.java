package vigil.deps;

import java.util.Optional;
import java.util.function.Consumer;
import vigil.service.Service;
import vigil.service.ServiceState;
import vigil.service.Supervisor;
import vigil.service.UnitService;
import vigil.service.UnitState;
import vigil.service.Want;

/**
 * The port as the daemon answers it: the supervisor's unit state machines, and its service directories and
 * transient services under their nodes' names ({@code web.service} for {@code web}). A name the supervisor does not
 * hold (a unit that could not be mapped to a spec, or something removed) counts as failed, so a job on it fails
 * instead of waiting.
 */
public final class SupervisedUnits implements UnitPort {
    private final Supervisor supervisor;
    private final DirectoryNodes directories;
    private final Consumer<Service> stopDirectory;

    /** Units only. */
    public SupervisedUnits(Supervisor supervisor) {
        this(supervisor, new DirectoryNodes(), Service::stop);
    }

    /**
     * @param stopDirectory stops a directory's service as {@code sv down} does (its {@code control/} scripts
     *                      included)
     */
    public SupervisedUnits(Supervisor supervisor, DirectoryNodes directories, Consumer<Service> stopDirectory) {
        this.supervisor = supervisor;
        this.directories = directories;
        this.stopDirectory = stopDirectory;
    }

    @Override
    public Activity activity(String name) {
        Optional<UnitService> unit = supervisor.unit(name);
        if (unit.isPresent()) return of(unit.get().state());
        return directory(name).map(SupervisedUnits::of).orElse(Activity.FAILED);
    }

    /**
     * Starts a directory that is down, or wanted down; one wanted up and on its way (running, backing off, being
     * restarted) is left to its own restart, as nothing was asked of it that it is not doing.
     */
    @Override
    public void start(String name) {
        Optional<UnitService> unit = supervisor.unit(name);
        if (unit.isPresent()) {
            unit.get().start();
            return;
        }
        directory(name).ifPresent(s -> {
            if (s.want() != Want.UP || s.state() instanceof ServiceState.Down) s.start();
        });
    }

    /** A directory has no restart-specific stop: the restart job's start follows its stop. */
    @Override
    public void stop(String name, boolean restarting) {
        Optional<UnitService> unit = supervisor.unit(name);
        if (unit.isPresent()) {
            if (restarting) unit.get().stopForRestart();
            else unit.get().stop();
            return;
        }
        directory(name).ifPresent(stopDirectory);
    }

    private Optional<Service> directory(String name) {
        return directories.directoryOf(name).flatMap(supervisor::get);
    }

    @Override
    public boolean reload(String name) {
        return supervisor.unit(name).map(UnitService::reload).orElse(false);
    }

    static Activity of(UnitState state) {
        return switch (state.activeState()) {
            case "inactive" -> Activity.INACTIVE;
            case "reloading" -> Activity.RELOADING;
            case "failed" -> Activity.FAILED;
            case "activating" -> Activity.ACTIVATING;
            case "deactivating" -> Activity.DEACTIVATING;
            default -> Activity.ACTIVE;
        };
    }

    /**
     * A directory is active once ready (its readiness protocol said so, or without one once {@code run} is exec'd);
     * activating while wanted up and on its way there (starting, backing off, stopping or finishing before a
     * restart); deactivating while it stops for good; failed once down after a run that failed.
     */
    static Activity of(Service service) {
        boolean wantedUp = service.want() == Want.UP;
        return switch (service.state()) {
            case ServiceState.Up u -> service.ready() ? Activity.ACTIVE : Activity.ACTIVATING;
            case ServiceState.BackingOff b -> Activity.ACTIVATING;
            case ServiceState.Stopping s -> wantedUp ? Activity.ACTIVATING : Activity.DEACTIVATING;
            case ServiceState.Finishing f -> wantedUp ? Activity.ACTIVATING : Activity.DEACTIVATING;
            case ServiceState.Down d -> service.failed() ? Activity.FAILED : Activity.INACTIVE;
        };
    }
}
