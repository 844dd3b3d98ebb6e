package vigil.control;

import java.time.Duration;
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
    private final HeldClients<UnitService, Waiter> held = new HeldClients<>();

    private static final class Waiter extends HeldClients.Waiter<UnitService> {
        final Goal goal;
        final Job job;
        /** Every job of the transaction, {@link #job} (the anchor) first. */
        final List<Job> jobs;

        Waiter(ControlServer.Client client, Object id, UnitService unit, Goal goal, List<Job> jobs) {
            super(client, id, unit);
            this.goal = goal;
            // A forced stop of a unit stopping already queues no job: it waits for the unit to be down.
            this.job = jobs.isEmpty() ? null : jobs.getFirst();
            this.jobs = jobs;
        }
    }

    UnitWaits(EventLoop loop) {
        this.loop = loop;
    }

    /** Replies now if the job is already done (or failed), else once it is, or with a timeout error. */
    void await(ControlServer.Client client, Object id, UnitService unit, Goal goal, List<Job> jobs,
               Duration timeout) {
        Waiter w = new Waiter(client, id, unit, goal, jobs);
        Map<String, Object> now = verdict(w);
        if (now != null) {
            client.send(now);
            return;
        }
        held.hold(w);
        w.timer = loop.schedule(timeout, () -> held.finish(w, Protocol.error(id, Protocol.Error.TIMEOUT, unit.name()
                + ": not " + (goal == Goal.ACTIVE ? "active" : "inactive") + " after "
                + ServiceEvent.seconds(timeout) + " (" + unit.state().activeState() + ")")));
    }

    /** The reply if the waiter's job is over, else null. */
    private static Map<String, Object> verdict(Waiter w) {
        UnitService u = w.subject;
        if (w.job == null) {
            String active = u.state().activeState();
            return active.equals("inactive") || active.equals("failed") ? ok(w) : null;
        }
        Optional<JobResult> ended = w.job.result();
        boolean failed = ended.equals(Optional.of(JobResult.FAILED))
                || w.goal == Goal.ACTIVE && u.state() == UnitState.AUTO_RESTART;
        if (failed) {
            return Protocol.error(w.id, Protocol.Error.FAILED, u.name() + ": failed with result '"
                    + u.result().systemdName() + "'");
        }
        if (ended.isEmpty()) return null;
        if (ended.get() == JobResult.DONE) return ok(w);
        return withJobs(Protocol.error(w.id, Protocol.Error.FAILED, u.name() + ": its " + w.job.type().word()
                + " job ended: " + ended.get().word() + failedDependency(w.job, w.jobs)), w.jobs);
    }

    /** For a job that ended {@code dependency}: which job of its transaction failed, as systemctl names it. */
    static String failedDependency(Job anchor, List<Job> jobs) {
        if (anchor.result().orElse(null) != JobResult.DEPENDENCY) return "";
        for (Job j : jobs) {
            if (j != anchor && j.result().orElse(null) == JobResult.FAILED) {
                return " (a dependency failed: the " + j.type().word() + " of " + j.unit() + ")";
            }
        }
        return "";
    }

    private static Map<String, Object> ok(Waiter w) {
        Map<String, Object> reply = Protocol.ok(w.id);
        reply.put("service", UnitStatus.describe(w.subject, System.nanoTime()));
        return withJobs(reply, w.jobs);
    }

    /** The reply with the transaction's jobs, each with its state: what the client waited on. */
    static Map<String, Object> withJobs(Map<String, Object> reply, List<Job> jobs) {
        reply.put("jobs", jobs.stream().map(JobsQuery::describe).toList());
        return reply;
    }

    void changed(UnitService unit) {
        for (Waiter w : held.on(unit)) {
            Map<String, Object> reply = verdict(w);
            if (reply != null) held.finish(w, reply);
        }
    }

    void removed(UnitService unit) {
        for (Waiter w : held.on(unit)) {
            held.finish(w, w.goal == Goal.INACTIVE ? ok(w)
                    : Protocol.error(w.id, Protocol.Error.UNKNOWN_SERVICE, unit.name() + ": was removed"));
        }
    }

    void closed(ControlServer.Client client) {
        held.closed(client);
    }
}
