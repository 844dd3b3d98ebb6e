package vigil.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.deps.Job;
import vigil.deps.JobResult;
import vigil.loop.EventLoop;
import vigil.service.ServiceEvent;
import vigil.service.UnitService;
import vigil.service.UnitState;

/**
 * Replies to start, stop and restart of a unit once its job is over, as systemctl waits for its job: done (the
 * engine decides: active, a oneshot has run, its condition said no; for a stop, inactive or failed), failed (the
 * unit failed, with its result), or ended otherwise ({@code dependency}, {@code canceled}). A start also fails as
 * soon as the unit is scheduled for an automatic restart.
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
        final Job job;
        EventLoop.Timer timer = () -> {};

        Waiter(ControlServer.Client client, Object id, UnitService unit, Goal goal, Job job) {
            this.client = client;
            this.id = id;
            this.unit = unit;
            this.goal = goal;
            this.job = job;
        }
    }

    UnitWaits(EventLoop loop) {
        this.loop = loop;
    }

    /** Replies now if the job is already done (or failed), else once it is, or with a timeout error. */
    void await(ControlServer.Client client, Object id, UnitService unit, Goal goal, Job job, Duration timeout) {
        Waiter w = new Waiter(client, id, unit, goal, job);
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
        Optional<JobResult> ended = w.job.result();
        boolean failed = ended.equals(Optional.of(JobResult.FAILED))
                || w.goal == Goal.ACTIVE && u.state() == UnitState.AUTO_RESTART;
        if (failed) {
            return Protocol.error(w.id, Protocol.Error.FAILED, u.name() + ": failed with result '"
                    + u.result().systemdName() + "'");
        }
        if (ended.isEmpty()) return null;
        if (ended.get() == JobResult.DONE) return ok(w);
        return Protocol.error(w.id, Protocol.Error.FAILED, u.name() + ": its " + w.job.type().word()
                + " job ended: " + ended.get().word());
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
