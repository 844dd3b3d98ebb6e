package vigil.deps;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.unit.Dependency;

/**
 * systemd's job engine over one {@link Graph}: requests become transactions ({@link Transaction}), whose jobs are
 * installed one per unit and run as soon as nothing they are ordered after is left to do. It sits above the units'
 * own state machines and reaches them only through {@link UnitPort}; targets, which have no process, it runs
 * itself. Everything happens on the loop thread.
 *
 * <ul>
 *   <li>A job waits while a job is installed on a unit it is ordered after; stops go the other way round, and a
 *       stop always goes before a start on ordered units (systemd's job_compare). Unordered jobs run at once.</li>
 *   <li>A start is done when its unit is active, which each unit type decides (READY=1 for notify, the exit for a
 *       oneshot, the exec for simple...), or when it ends inactive without failing (a oneshot that does not
 *       remain, a start condition not met); it fails if the unit fails. A start does not run while its unit is
 *       still stopping.</li>
 *   <li>A start that does not succeed fails the start jobs of the units that require, are bound to or are
 *       requisite of its unit, with {@link JobResult#DEPENDENCY}, and so on down.</li>
 *   <li>A unit that goes down on its own (no job) stops the units bound to it ({@code BindsTo=}).</li>
 *   <li>A new job on a unit replaces an installed one it does not merge with, which ends {@code canceled}.</li>
 * </ul>
 */
public final class JobEngine {
    private Graph graph;
    private final UnitPort units;
    private final JobListener listener;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Set<String> activeTargets = new HashSet<>();
    private final WaitingJobs waiting = new WaitingJobs();
    private boolean dispatching;
    private Runnable whenIdle;
    private final EngineMeter meter = new EngineMeter();
    private long lastJobId;

    /** What became of a request. */
    public sealed interface Outcome {
        /**
         * Installed; {@code job} is the anchor, which may be done already, and {@code jobs} every job of the
         * transaction (the anchor first), each installed anew or merged into one that was.
         */
        record Queued(Job job, List<Job> jobs) implements Outcome {
            public Queued {
                jobs = List.copyOf(jobs);
            }

            public Queued(Job job) {
                this(job, List.of(job));
            }
        }

        /** Nothing was installed. */
        record Refused(String reason) implements Outcome {}
    }

    public JobEngine(Graph graph, UnitPort units, JobListener listener) {
        this.graph = graph;
        this.units = units;
        this.listener = listener;
    }

    public Graph graph() {
        return graph;
    }

    /** Takes a graph read anew (a daemon-reload); installed jobs carry on. */
    public void graph(Graph changed) {
        graph = changed;
        waiting.checkAll(jobs.values());
    }

    /** The installed jobs, in the order they were installed. */
    public Collection<Job> jobs() {
        return List.copyOf(jobs.values());
    }

    /** The unit's activity; a target's is the engine's own. */
    public Activity activity(String name) {
        if (isTarget(name)) return activeTargets.contains(name) ? Activity.ACTIVE : Activity.INACTIVE;
        return units.activity(name);
    }

    /** What the engine's own work has cost so far (its CPU time, not the units'), over the jobs it finished. */
    public EngineMeter.Reading meter() {
        return meter.reading();
    }

    /** A request ({@code start web.service}): builds its transaction, installs its jobs and runs what can run. */
    public Outcome enqueue(JobType type, String unit) {
        meter.enter(true);
        try {
            return plan(type, unit);
        } finally {
            meter.leave();
        }
    }

    private Outcome plan(JobType type, String unit) {
        Transaction.Plan plan;
        try {
            plan = Transaction.build(graph, this::activity, type, unit);
        } catch (Transaction.Refused e) {
            listener.say(unit, type.word() + " refused: " + e.getMessage());
            return new Outcome.Refused(e.getMessage());
        }
        plan.messages().forEach(m -> listener.say(unit, m));
        List<Job> installed = new ArrayList<>();
        for (var entry : plan.jobs().entrySet()) installed.add(install(entry.getKey(), entry.getValue()));
        dispatch();
        return new Outcome.Queued(installed.getFirst(), installed);
    }

    /**
     * Stops every unit and target, in reverse order, replacing whatever jobs are installed; runs {@code done} once
     * no job is left (shutdown).
     */
    public void stopAll(Runnable done) {
        meter.enter(true);
        try {
            whenIdle = done;
            for (Node n : graph.nodes()) install(n.name(), JobType.STOP);
            dispatch();
            runIfIdle();
        } finally {
            meter.leave();
        }
    }

    /** A unit's state changed: settles its running job, lets waiting jobs run, or stops what is bound to it. */
    public void unitChanged(String name) {
        // With no job installed this is a look-up, on every change of every unit: not worth the meter's clock.
        meter.enter(!jobs.isEmpty());
        try {
            Job job = jobs.get(name);
            if (job == null) {
                if (activity(name).down()) stopBound(name);
                return;
            }
            if (job.running()) {
                settle(job);
            } else {
                waiting.check(job);
                dispatch();
            }
        } finally {
            meter.leave();
        }
    }

    private Job install(String unit, JobType type) {
        Job old = jobs.get(unit);
        if (old != null) {
            if (old.type() == type || old.type() == JobType.RESTART && type == JobType.START) return old;
            // As systemd's transaction_apply: the replaced job is canceled without failing its dependents.
            jobs.remove(unit);
            waiting.ended(old);
            old.end(JobResult.CANCELED);
            listener.finished(old, JobResult.CANCELED);
        }
        Job job = new Job(++lastJobId, unit, type);
        jobs.put(unit, job);
        waiting.check(job);
        listener.queued(job);
        return job;
    }

    private boolean isTarget(String name) {
        return graph.node(name).filter(n -> n.kind() == Node.Kind.TARGET).isPresent();
    }

    /**
     * Runs every job that may run now, of those a change may have freed ({@link WaitingJobs}); the others wait for
     * the units that hold them back. A call made while a dispatch is under way (a unit reporting back from its
     * start) only adds to what that dispatch looks at.
     */
    private void dispatch() {
        if (dispatching) return;
        dispatching = true;
        try {
            for (Optional<Job> next = waiting.next(); next.isPresent(); next = waiting.next()) {
                Job job = next.get();
                if (jobs.get(job.unit()) != job || job.running()) continue;
                meter.checked();
                List<String> blockers = blockers(job);
                if (!blockers.isEmpty()) waiting.waitFor(job, blockers);
                else if (!startsWhileStopping(job)) run(job);
            }
        } finally {
            dispatching = false;
        }
    }

    /**
     * The units whose installed jobs must finish first. For units X before Y with jobs x and y: if y stops (or
     * restarts), x waits for y; otherwise y waits for x.
     */
    private List<String> blockers(Job job) {
        List<String> out = new ArrayList<>();
        if (job.type() == JobType.START) {
            for (String earlier : graph.after(job.unit())) {
                if (jobs.containsKey(earlier)) out.add(earlier);
            }
        }
        for (String later : graph.before(job.unit())) {
            Job other = jobs.get(later);
            if (other != null && other.type() != JobType.START) out.add(later);
        }
        return out;
    }

    /** A start does not run while its unit is still stopping: the unit's next change looks at it again. */
    private boolean startsWhileStopping(Job job) {
        return job.type() == JobType.START && activity(job.unit()) == Activity.DEACTIVATING;
    }

    private void run(Job job) {
        job.run();
        listener.started(job);
        String unit = job.unit();
        if (isTarget(unit)) {
            if (job.type() == JobType.START) activeTargets.add(unit);
            else activeTargets.remove(unit);
        } else if (job.type() == JobType.START) {
            // Already where the job would take it: the port is not bothered (systemd's -EALREADY).
            if (units.activity(unit) != Activity.ACTIVE) {
                meter.away();
                try {
                    units.start(unit);
                } finally {
                    meter.leave();
                }
            }
        } else if (!units.activity(unit).down()) {
            meter.away();
            try {
                units.stop(unit, job.type() == JobType.RESTART);
            } finally {
                meter.leave();
            }
        }
        settle(job);
    }

    private void settle(Job job) {
        if (!job.running() || jobs.get(job.unit()) != job) return;
        Activity now = activity(job.unit());
        switch (job.type()) {
            case START -> {
                if (now == Activity.ACTIVE || now == Activity.INACTIVE) finish(job, JobResult.DONE);
                else if (now == Activity.FAILED) finish(job, JobResult.FAILED);
            }
            case STOP -> {
                if (now.down()) finish(job, JobResult.DONE);
            }
            case RESTART -> {
                if (now.down()) {
                    job.becomeStart();
                    waiting.changed(job.unit());
                    waiting.check(job);
                    dispatch();
                }
            }
        }
    }

    private void finish(Job job, JobResult result) {
        jobs.remove(job.unit());
        waiting.ended(job);
        job.end(result);
        meter.jobFinished();
        listener.finished(job, result);
        if (result == JobResult.DONE && job.type() == JobType.START && isTarget(job.unit())) {
            listener.reached(job.unit(), meter.reading());
        }
        if (result != JobResult.DONE && job.type() == JobType.START) failDependents(job);
        dispatch();
        runIfIdle();
    }

    private void failDependents(Job failed) {
        for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO, Dependency.REQUISITE)) {
            for (String dependent : graph.reverse(failed.unit(), d)) {
                Job job = jobs.get(dependent);
                if (job == null || job.type() != JobType.START) continue;
                listener.say(dependent, "not started: it needs " + failed.unit() + ", whose start did not succeed");
                finish(job, JobResult.DEPENDENCY);
            }
        }
    }

    private void stopBound(String name) {
        for (String bound : graph.reverse(name, Dependency.BINDS_TO)) {
            Job job = jobs.get(bound);
            if (!activity(bound).up() || job != null && job.type() == JobType.STOP) continue;
            listener.say(bound, "stopping: it is bound to " + name + ", which stopped");
            enqueue(JobType.STOP, bound);
        }
    }

    private void runIfIdle() {
        if (whenIdle == null || !jobs.isEmpty()) return;
        Runnable done = whenIdle;
        whenIdle = null;
        done.run();
    }
}
