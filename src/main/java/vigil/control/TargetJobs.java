package vigil.control;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.deps.Job;
import vigil.deps.JobEngine;
import vigil.deps.JobResult;
import vigil.deps.JobType;
import vigil.deps.Node;
import vigil.loop.EventLoop;
import vigil.service.ServiceEvent;

/**
 * start, stop and restart of a target ({@code vigil start multi-user.target}): a transaction like a unit's, whose
 * reply waits for the target's own job, which is done once everything it is ordered after is; a target has no
 * state machine of its own to watch, so the wait is on the job.
 */
final class TargetJobs {
    private final EventLoop loop;
    private final ControlHost host;
    private final Access access;
    private final HeldClients<Job, Waiter> held = new HeldClients<>();

    private static final class Waiter extends HeldClients.Waiter<Job> {
        final String target;
        /** Every job of the transaction, the target's first. */
        final List<Job> jobs;

        Waiter(ControlServer.Client client, Object id, String target, List<Job> jobs) {
            super(client, id, jobs.getFirst());
            this.target = target;
            this.jobs = jobs;
        }
    }

    TargetJobs(EventLoop loop, ControlHost host, Access access) {
        this.loop = loop;
        this.host = host;
        this.access = access;
    }

    /**
     * Whether {@code name} is a target of the graph, or a socket unit: neither has a state machine of its own to
     * watch, so a start or stop of either waits on its job ({@code vigil stop web.socket} runs its ExecStopPre=...).
     */
    boolean isTarget(String name) {
        return host.engine().graph().node(name)
                .filter(n -> n.kind() == Node.Kind.TARGET || n.kind() == Node.Kind.SOCKET).isPresent();
    }

    void act(ControlServer.Client client, Object id, Request.Act a) throws Failure {
        String verb = a.action().name().toLowerCase(Locale.ROOT).replace('_', '-');
        access.checkOwner(client.peer(), verb + " " + a.name());
        if (host.stopping()) throw new Failure(Error.SHUTTING_DOWN, a.name() + ": the daemon is shutting down");
        JobType type = switch (a.action()) {
            case START -> JobType.START;
            case STOP -> JobType.STOP;
            case RESTART -> JobType.RESTART;
            case TRY_RESTART -> JobType.TRY_RESTART;
            default -> throw new Failure(Error.BAD_REQUEST, verb + " is for services and units, not for targets");
        };
        List<Job> jobs = switch (host.unitJob(type, a.name())) {
            case JobEngine.Outcome.Queued q -> q.jobs();
            case JobEngine.Outcome.Refused r -> throw new Failure(Error.FAILED, a.name() + ": " + type.word()
                    + " refused: " + r.reason());
        };
        Waiter w = new Waiter(client, id, a.name(), jobs);
        if (!a.await() || w.subject.result().isPresent()) {
            client.send(verdict(w));
            return;
        }
        held.hold(w);
        Duration timeout = a.timeout();
        w.timer = loop.schedule(timeout, () -> held.finish(w, Protocol.error(id, Error.TIMEOUT, a.name()
                + ": its " + type.word() + " job is not done after " + ServiceEvent.seconds(timeout))));
    }

    /** A job ended: the clients waiting for it get their reply. */
    void finished(Job job) {
        for (Waiter w : held.on(job)) held.finish(w, verdict(w));
    }

    void closed(ControlServer.Client client) {
        held.closed(client);
    }

    /** Ok with the target's state, unless its job ended otherwise than done; the jobs either way. */
    private Map<String, Object> verdict(Waiter w) {
        Job job = w.subject;
        Optional<JobResult> ended = job.result();
        if (ended.isPresent() && ended.get() != JobResult.DONE) {
            return UnitWaits.withJobs(Protocol.error(w.id, Error.FAILED, w.target + ": its " + job.type().word()
                    + " job ended: " + ended.get().word() + UnitWaits.failedDependency(job, w.jobs)), w.jobs);
        }
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("name", w.target);
        target.put("unit", true);
        target.put("state", host.engine().activity(w.target).name().toLowerCase(Locale.ROOT));
        Map<String, Object> reply = Protocol.ok(w.id);
        reply.put("service", target);
        return UnitWaits.withJobs(reply, w.jobs);
    }
}
