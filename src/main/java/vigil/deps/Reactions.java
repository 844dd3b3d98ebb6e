package vigil.deps;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import vigil.unit.Dependency;

/**
 * What a unit's change sets off besides its own job, as systemd's unit_notify and its queues do:
 * <ul>
 *   <li>{@code OnFailure=}: a unit entering the failed state starts the units it lists ({@code OnFailureJobMode=
 *       isolate}: isolates to the first instead).</li>
 *   <li>{@code OnSuccess=}: a unit going from up to inactive, not failed, starts the units it lists; not while a
 *       restart job brings it back.</li>
 *   <li>{@code Upholds=}: while a unit is active and not being stopped, what it upholds is started whenever it is
 *       down: when it goes down, and when its upholder becomes active. Only on such a change, so a unit that
 *       cannot start (its start limit) is not tried in a loop.</li>
 *   <li>{@code StopWhenUnneeded=}: an active unit with no job is stopped once no unit that requires, wants, is
 *       bound to, is requisite of or upholds it is up or has a job that starts it.</li>
 * </ul>
 * None of it once the daemon shuts down.
 */
final class Reactions {
    /** The dependencies that keep a {@code StopWhenUnneeded=} unit running, from the side that names it. */
    private static final List<Dependency> PINS = List.of(Dependency.REQUIRES, Dependency.WANTS,
            Dependency.REQUISITE, Dependency.BINDS_TO, Dependency.UPHOLDS);

    private final JobEngine engine;
    /** Each unit's activity when the engine last heard of it: what tells a change from a repeat. */
    private final Map<String, Activity> last = new HashMap<>();

    Reactions(JobEngine engine) {
        this.engine = engine;
    }

    /** A unit with processes reports {@code now}. */
    void changed(String name, Activity now) {
        Activity before = last.put(name, now);
        if (before == null) before = Activity.INACTIVE;
        if (before == now || engine.shuttingDown()) return;
        if (now == Activity.FAILED) {
            onFailure(name);
        } else if (now == Activity.INACTIVE && before != Activity.FAILED && !restarting(name)) {
            for (String other : engine.graph().forward(name, Dependency.ON_SUCCESS)) {
                engine.say(name, "succeeded; starting " + other + " (OnSuccess=)");
                engine.enqueue(JobType.START, other);
            }
        }
        if (now.down()) uphold(name);
        react(name, now);
    }

    /** A job on {@code name} ended: for a target, the only way it changes. */
    void settled(String name) {
        if (!engine.shuttingDown()) react(name, engine.activity(name));
    }

    private void react(String name, Activity now) {
        Graph graph = engine.graph();
        if (now.down()) {
            for (Dependency d : PINS) {
                for (String pinned : graph.forward(name, d)) stopIfUnneeded(pinned);
            }
        }
        if (now.active()) {
            for (String upheld : graph.forward(name, Dependency.UPHOLDS)) uphold(upheld);
            stopIfUnneeded(name);
        }
    }

    private void onFailure(String name) {
        Graph graph = engine.graph();
        var units = graph.forward(name, Dependency.ON_FAILURE);
        boolean isolate = graph.node(name).map(n -> n.traits().onFailureIsolates()).orElse(false);
        for (String other : units) {
            engine.say(name, "failed; " + (isolate ? "isolating to " : "starting ") + other + " (OnFailure=)");
            if (isolate) {
                engine.isolate(other);
                return;
            }
            engine.enqueue(JobType.START, other);
        }
    }

    private boolean restarting(String name) {
        return engine.job(name).filter(j -> j.type() == JobType.RESTART).isPresent();
    }

    private void uphold(String name) {
        if (!engine.graph().contains(name) || !engine.activity(name).down() || engine.job(name).isPresent()) {
            return;
        }
        for (String upholder : engine.graph().reverse(name, Dependency.UPHOLDS)) {
            boolean stopping = engine.job(upholder).filter(j -> j.type() == JobType.STOP).isPresent();
            if (engine.activity(upholder).active() && !stopping) {
                engine.say(name, "starting: " + upholder + " upholds it (Upholds=)");
                engine.enqueue(JobType.START, name);
                return;
            }
        }
    }

    private void stopIfUnneeded(String name) {
        boolean flagged = engine.graph().node(name).map(n -> n.traits().stopWhenUnneeded()).orElse(false);
        if (!flagged || !engine.activity(name).active() || engine.job(name).isPresent()) return;
        for (Dependency d : PINS) {
            for (String pinner : engine.graph().reverse(name, d)) {
                if (pending(pinner)) return;
            }
        }
        engine.say(name, "stopping: no unit that is up needs it any more (StopWhenUnneeded=yes)");
        engine.enqueue(JobType.STOP, name);
    }

    /** systemd's unit_active_or_pending: up, or about to be. */
    private boolean pending(String unit) {
        return engine.activity(unit).up() || engine.job(unit).filter(j -> j.type() != JobType.STOP).isPresent();
    }
}
