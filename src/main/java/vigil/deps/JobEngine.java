package vigil.deps;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
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
 *   <li>What a unit's change sets off besides its jobs ({@code OnFailure=}, {@code Upholds=},
 *       {@code StopWhenUnneeded=}...) is {@link Reactions}'.</li>
 * </ul>
 */
public final class JobEngine {
    private Graph graph;
    private final UnitPort units;
    private final JobListener listener;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Set<String> activeTargets = new HashSet<>();
    private final Reactions reactions = new Reactions(this);
    /** Since {@link #stopAll}: nothing starts any more. */
    private boolean shuttingDown;
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

    /** No job is installed: a unit's change of state can concern only what is bound to it. */
    public boolean idle() {
        return jobs.isEmpty();
    }

    /** The unit's activity; a target's is the engine's own. */
    public Activity activity(String name) {
        if (isTarget(name)) return activeTargets.contains(name) ? Activity.ACTIVE : Activity.INACTIVE;
        return units.activity(name);
    }

    /**
     * A request made by hand (a client's {@code start}): refused if the unit says {@code RefuseManualStart=} or
     * {@code RefuseManualStop=} for what the job would do; otherwise as {@link #enqueue}.
     */
    public Outcome request(JobType type, String unit) {
        Traits traits = graph.node(unit).map(Node::traits).orElse(Traits.NONE);
        boolean starts = type == JobType.START || type == JobType.RESTART || type == JobType.TRY_RESTART;
        boolean stops = type == JobType.STOP || type == JobType.RESTART || type == JobType.TRY_RESTART;
        if (starts && traits.refuseManualStart() || stops && traits.refuseManualStop()) {
            String setting = starts && traits.refuseManualStart() ? "RefuseManualStart=yes" : "RefuseManualStop=yes";
            return refused(type, unit, unit + " may be " + (starts ? "started" : "stopped")
                    + " only as a dependency of another unit (" + setting + ")");
        }
        return enqueue(type, unit);
    }

    /**
     * A job a unit or the daemon asks for ({@code start web.service}): builds its transaction, installs its jobs
     * and runs what can run. A try-restart of a unit that is down, and a reload of a target, do nothing and are
     * done at once.
     */
    public Outcome enqueue(JobType type, String unit) {
        meter.enter(true);
        try {
            return plan(type, unit);
        } finally {
            meter.leave();
        }
    }

    /** What the engine's own work has cost so far (its CPU time, not the units'), over the jobs it finished. */
    public EngineMeter.Reading meter() {
        return meter.reading();
    }

    private Outcome plan(JobType type, String unit) {
        if (type == JobType.RELOAD && graph.contains(unit) && !isTarget(unit) && !activity(unit).active()) {
            return refused(type, unit, unit + " is not active, so it cannot be reloaded");
        }
        if (type == JobType.TRY_RESTART) {
            if (!activity(unit).up()) return nothingToDo(type, unit);
            type = JobType.RESTART;
        }
        Transaction.Plan plan;
        try {
            plan = Transaction.build(graph, this::activity, type, unit);
        } catch (Transaction.Refused e) {
            return refused(type, unit, e.getMessage());
        }
        return apply(unit, plan);
    }

    /**
     * {@code vigil isolate TARGET}: starts the target with what it pulls in, and stops every other unit, except
     * those with {@code IgnoreOnIsolate=yes}; jobs not part of that are canceled. Refused unless the target says
     * {@code AllowIsolate=yes}.
     */
    public Outcome isolate(String target) {
        Optional<Node> node = graph.node(target);
        if (node.isEmpty()) return refused(JobType.START, target, target + ": no such unit");
        if (!node.get().traits().allowIsolate()) {
            return refused(JobType.START, target, target + " may not be isolated (it does not say AllowIsolate=yes)");
        }
        if (node.get().traits().refuseManualStart()) {
            return refused(JobType.START, target, target + " may be started only as a dependency of another unit "
                    + "(RefuseManualStart=yes)");
        }
        Transaction.Plan plan;
        try {
            plan = Transaction.isolate(graph, this::activity, target, jobs.keySet());
        } catch (Transaction.Refused e) {
            return refused(JobType.START, target, e.getMessage());
        }
        for (Job old : List.copyOf(jobs.values())) {
            if (!plan.jobs().containsKey(old.unit())) cancel(old);
        }
        return apply(target, plan);
    }

    private Outcome refused(JobType type, String unit, String why) {
        listener.say(unit, type.word() + " refused: " + why);
        return new Outcome.Refused(why);
    }

    private Outcome nothingToDo(JobType type, String unit) {
        Job job = new Job(++lastJobId, unit, type);
        job.end(JobResult.DONE);
        listener.finished(job, JobResult.DONE);
        return new Outcome.Queued(job);
    }

    private Outcome apply(String unit, Transaction.Plan plan) {
        plan.messages().forEach(m -> listener.say(unit, m));
        List<Job> installed = new ArrayList<>();
        for (var entry : plan.jobs().entrySet()) {
            String u = entry.getKey();
            // As systemd's transaction_drop_redundant: a job that would change nothing (the stop of shutdown.target
            // that every start pulls in, the start of an active requirement) is left out, unless it is the anchor or
            // must replace a job installed on its unit.
            boolean anchor = installed.isEmpty();
            if (!anchor && !jobs.containsKey(u) && redundant(entry.getValue(), activity(u))) continue;
            installed.add(install(u, entry.getValue()));
        }
        dispatch();
        return new Outcome.Queued(installed.getFirst(), installed);
    }

    /** systemd's job_type_is_redundant: a start of an active unit, a stop of one that is down. */
    private static boolean redundant(JobType type, Activity now) {
        return switch (type) {
            case START -> now.active();
            case STOP -> now.down();
            case RESTART, RELOAD, TRY_RESTART -> false;
        };
    }

    /** The job installed on {@code unit}, if any. */
    Optional<Job> job(String unit) {
        return Optional.ofNullable(jobs.get(unit));
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    void say(String unit, String message) {
        listener.say(unit, message);
    }

    /**
     * Stops every unit and target, in reverse order, replacing whatever jobs are installed; runs {@code done} once
     * no job is left (shutdown).
     */
    public void stopAll(Runnable done) {
        stopAll(name -> true, done);
    }

    /**
     * As {@link #stopAll(Runnable)}, for the nodes {@code which} selects: the rest stop some other way (service
     * directories that nothing orders are stopped all at once by the supervisor, with no job each).
     */
    public void stopAll(Predicate<String> which, Runnable done) {
        meter.enter(true);
        try {
            whenIdle = done;
            shuttingDown = true;
            for (Node n : graph.nodes()) if (which.test(n.name())) install(n.name(), JobType.STOP);
            dispatch();
            runIfIdle();
        } finally {
            meter.leave();
        }
    }

    /**
     * A unit's state changed: settles its running job, lets waiting jobs run, or stops what is bound to it; then
     * what the change sets off ({@link Reactions}).
     */
    public void unitChanged(String name) {
        // With no job installed this is a look-up, on every change of every unit: not worth the meter's clock.
        meter.enter(!jobs.isEmpty());
        try {
            Job job = jobs.get(name);
            if (job == null) {
                if (activity(name).down()) stopBound(name);
            } else if (job.running()) {
                settle(job);
            } else {
                waiting.check(job);
                dispatch();
            }
            reactions.changed(name, activity(name));
        } finally {
            meter.leave();
        }
    }

    private Job install(String unit, JobType type) {
        Job old = jobs.get(unit);
        if (old != null) {
            if (absorbs(old.type(), type)) return old;
            // As systemd's transaction_apply: the replaced job is canceled without failing its dependents.
            cancel(old);
        }
        Job job = new Job(++lastJobId, unit, type);
        jobs.put(unit, job);
        waiting.check(job);
        listener.queued(job);
        return job;
    }

    /** An installed job that does what a new one would: a restart covers a start or a reload, a start a reload. */
    private static boolean absorbs(JobType installed, JobType requested) {
        return installed == requested
                || installed == JobType.RESTART && (requested == JobType.START || requested == JobType.RELOAD)
                || installed == JobType.START && requested == JobType.RELOAD;
    }

    private void cancel(Job old) {
        jobs.remove(old.unit());
        waiting.ended(old);
        old.end(JobResult.CANCELED);
        listener.finished(old, JobResult.CANCELED);
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
        if (!stops(job)) {
            for (String earlier : graph.after(job.unit())) {
                if (jobs.containsKey(earlier)) out.add(earlier);
            }
        }
        for (String later : graph.before(job.unit())) {
            Job other = jobs.get(later);
            if (other != null && stops(other)) out.add(later);
        }
        return out;
    }

    /** A start does not run while its unit is still stopping: the unit's next change looks at it again. */
    private boolean startsWhileStopping(Job job) {
        return !stops(job) && activity(job.unit()) == Activity.DEACTIVATING;
    }

    /** Ordered as a stop: after what it is ordered before. A reload is ordered as a start (job_compare). */
    private static boolean stops(Job job) {
        return job.type() == JobType.STOP || job.type() == JobType.RESTART;
    }

    private void run(Job job) {
        job.run();
        listener.started(job);
        String unit = job.unit();
        if (isTarget(unit)) {
            if (job.type() == JobType.START) activeTargets.add(unit);
            else if (job.type() != JobType.RELOAD) activeTargets.remove(unit);
        } else if (job.type() == JobType.START) {
            // Already where the job would take it: the port is not bothered (systemd's -EALREADY).
            if (!units.activity(unit).active()) {
                meter.away();
                try {
                    units.start(unit);
                } finally {
                    meter.leave();
                }
            }
        } else if (job.type() == JobType.RELOAD) {
            boolean reloading;
            meter.away();
            try {
                reloading = units.reload(unit);
            } finally {
                meter.leave();
            }
            if (!reloading) {
                listener.say(unit, "cannot reload: it is not running, or has neither ExecReload= nor a reload signal");
                finish(job, JobResult.FAILED);
                return;
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
                if (now.active() || now == Activity.INACTIVE) finish(job, JobResult.DONE);
                else if (now == Activity.FAILED) finish(job, JobResult.FAILED);
            }
            case RELOAD -> {
                if (now == Activity.ACTIVE) finish(job, JobResult.DONE);
                else if (now.down()) finish(job, JobResult.FAILED);
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
        reactions.settled(job.unit());
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

    /** {@code name} went down on its own: what is bound to it stops, and what it propagates its stop to. */
    private void stopBound(String name) {
        for (String bound : graph.reverse(name, Dependency.BINDS_TO)) {
            stopAlong(bound, "it is bound to " + name + ", which stopped");
        }
        for (String other : graph.forward(name, Dependency.PROPAGATES_STOP_TO)) {
            stopAlong(other, name + " propagates its stop to it (PropagatesStopTo=)");
        }
        for (String other : graph.reverse(name, Dependency.STOP_PROPAGATED_FROM)) {
            stopAlong(other, "its stop is propagated from " + name + " (StopPropagatedFrom=)");
        }
    }

    private void stopAlong(String unit, String why) {
        Job job = jobs.get(unit);
        if (!activity(unit).up() || job != null && job.type() == JobType.STOP) return;
        listener.say(unit, "stopping: " + why);
        enqueue(JobType.STOP, unit);
    }

    private void runIfIdle() {
        if (whenIdle == null || !jobs.isEmpty()) return;
        Runnable done = whenIdle;
        whenIdle = null;
        done.run();
    }
}
