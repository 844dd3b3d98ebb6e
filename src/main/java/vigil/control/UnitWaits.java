package vigil.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import vigil.loop.EventLoop;
import vigil.model.UnitSpec;
import vigil.service.ServiceEvent;
import vigil.service.UnitService;
import vigil.service.UnitState;

/**
 * Replies to start, stop and restart of a unit once the job is done, as systemctl waits for its job: a start is
 * done when the unit is active (or a oneshot has run, or its condition said no), and fails when the unit fails
 * or is scheduled for an automatic restart; a stop is done when the unit is inactive or failed.
 */
final class UnitWaits {
    enum Goal { ACTIVE, INACTIVE }

    private final EventLoop loop;
    private final Map<UnitService, List<Waiter>> waiters = new IdentityHashMap<>();
    private final Map<ControlServer.Client, Waiter> byClient = new IdentityHashMap<>();

    private static final class Waiter {
        final ControlServer.Client client;
        final Object id;
        final UnitService unit;
        final Goal goal;
        EventLoop.Timer timer = () -> {};

        Waiter(ControlServer.Client client, Object id, UnitService unit, Goal goal) {
            this.client = client;
            this.id = id;
            this.unit = unit;
            this.goal = goal;
        }
    }

    UnitWaits(EventLoop loop) {
        this.loop = loop;
    }

    /** Replies now if the job is already done (or failed), else once it is, or with a timeout error. */
    void await(ControlServer.Client client, Object id, UnitService unit, Goal goal, Duration timeout) {
        Waiter w = new Waiter(client, id, unit, goal);
        Map<String, Object> now = verdict(w);
        if (now != null) {
            client.send(now);
            return;
        }
        client.hold();
        waiters.computeIfAbsent(unit, k -> new ArrayList<>()).add(w);
        byClient.put(client, w);
        w.timer = loop.schedule(timeout, () -> finish(w, Protocol.error(id, Protocol.Error.TIMEOUT, unit.name()
                + ": not " + (goal == Goal.ACTIVE ? "active" : "inactive") + " after "
                + ServiceEvent.seconds(timeout) + " (" + unit.state().activeState() + ")")));
    }

    /** The reply if the waiter's job is over, else null. */
    private static Map<String, Object> verdict(Waiter w) {
        UnitService u = w.unit;
        UnitState s = u.state();
        return switch (w.goal) {
            case ACTIVE -> {
                boolean ran = s == UnitState.DEAD && (u.result() == UnitState.Result.SKIP_CONDITION
                        || u.spec().type() == UnitSpec.Type.ONESHOT && u.result() == UnitState.Result.SUCCESS);
                if (s == UnitState.RUNNING || s == UnitState.EXITED || ran) yield ok(w);
                if (s == UnitState.FAILED || s == UnitState.AUTO_RESTART) {
                    yield Protocol.error(w.id, Protocol.Error.FAILED, u.name() + ": failed with result '"
                            + u.result().systemdName() + "'");
                }
                yield null;
            }
            case INACTIVE -> s == UnitState.DEAD || s == UnitState.FAILED ? ok(w) : null;
        };
    }

    private static Map<String, Object> ok(Waiter w) {
        Map<String, Object> reply = Protocol.ok(w.id);
        reply.put("service", UnitStatus.describe(w.unit, System.nanoTime()));
        return reply;
    }

    void changed(UnitService unit) {
        List<Waiter> list = waiters.get(unit);
        if (list == null) return;
        for (Waiter w : List.copyOf(list)) {
            Map<String, Object> reply = verdict(w);
            if (reply != null) finish(w, reply);
        }
    }

    void removed(UnitService unit) {
        List<Waiter> list = waiters.get(unit);
        if (list == null) return;
        for (Waiter w : List.copyOf(list)) {
            finish(w, w.goal == Goal.INACTIVE ? ok(w)
                    : Protocol.error(w.id, Protocol.Error.UNKNOWN_SERVICE, unit.name() + ": was removed"));
        }
    }

    void closed(ControlServer.Client client) {
        Waiter w = byClient.remove(client);
        if (w != null) forget(w);
    }

    private void finish(Waiter w, Map<String, Object> reply) {
        byClient.remove(w.client);
        forget(w);
        w.client.send(reply);
        w.client.resume();
    }

    private void forget(Waiter w) {
        w.timer.cancel();
        List<Waiter> list = waiters.get(w.unit);
        if (list != null) {
            list.remove(w);
            if (list.isEmpty()) waiters.remove(w.unit);
        }
    }
}
