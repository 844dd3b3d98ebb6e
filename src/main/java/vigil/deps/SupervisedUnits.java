package vigil.deps;

import vigil.service.Supervisor;
import vigil.service.UnitService;
import vigil.service.UnitState;

/**
 * The port as the daemon answers it: the supervisor's unit state machines. A unit the supervisor does not hold
 * (it could not be mapped to a spec, or was removed) counts as failed, so a job on it fails instead of waiting.
 */
public final class SupervisedUnits implements UnitPort {
    private final Supervisor supervisor;

    public SupervisedUnits(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public Activity activity(String name) {
        return supervisor.unit(name).map(u -> of(u.state())).orElse(Activity.FAILED);
    }

    @Override
    public void start(String name) {
        supervisor.unit(name).ifPresent(UnitService::start);
    }

    @Override
    public void stop(String name, boolean restarting) {
        supervisor.unit(name).ifPresent(restarting ? UnitService::stopForRestart : UnitService::stop);
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
}
