package vigil.deps;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Units that do what the engine asks only as far as the test says: a start makes a unit activating and a stop
 * deactivating, until the test moves it on with {@link #set}, which tells the engine as the daemon would.
 */
final class FakeUnits implements UnitPort {
    private final Map<String, Activity> states = new HashMap<>();
    /** Every start and stop the engine asked for, in order: "start db.service". */
    final List<String> calls = new ArrayList<>();
    JobEngine engine;

    @Override
    public Activity activity(String name) {
        return states.getOrDefault(name, Activity.INACTIVE);
    }

    @Override
    public void start(String name) {
        calls.add("start " + name);
        if (!activity(name).up()) states.put(name, Activity.ACTIVATING);
    }

    @Override
    public void stop(String name, boolean restarting) {
        calls.add((restarting ? "stop (restart) " : "stop ") + name);
        if (!activity(name).down()) states.put(name, Activity.DEACTIVATING);
    }

    /** Reloads an active unit (it is reloading until the test moves it on); refuses one that is not. */
    @Override
    public boolean reload(String name) {
        calls.add("reload " + name);
        if (activity(name) != Activity.ACTIVE) return false;
        states.put(name, Activity.RELOADING);
        return true;
    }

    /** The unit reached {@code activity} (READY=1, an exit...); the engine hears of it. */
    void set(String name, Activity activity) {
        states.put(name, activity);
        engine.unitChanged(name);
    }

    /** Already in that state before the engine looks. */
    void given(String name, Activity activity) {
        states.put(name, activity);
    }
}
