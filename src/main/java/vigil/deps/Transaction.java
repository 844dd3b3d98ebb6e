package vigil.deps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import vigil.unit.Dependency;

/**
 * The jobs one request needs, as systemd's transaction.c builds them: the anchor job, then recursively the jobs
 * its unit's dependencies pull in, merged one per unit, with the ordering checked for cycles. Pure: it reads the
 * graph and the units' activity, and changes nothing until the engine installs what {@link #build} returns.
 *
 * <ul>
 *   <li>A start pulls in a start of what it {@code Requires=}, {@code BindsTo=} (required), {@code Wants=} and
 *       {@code Upholds=} (wanted), and a stop of what it conflicts with, either way round. {@code Requisite=} pulls in nothing: the
 *       unit must be active already or the request fails.</li>
 *   <li>A stop pulls in a stop of what requires it, is bound to it, or is {@code PartOf=} it; a restart pulls in a
 *       restart of those that are up, and the requirements a start pulls in. A stop also stops what it
 *       {@code PropagatesStopTo=} (and what says {@code StopPropagatedFrom=} it) if that is up.</li>
 *   <li>A reload pulls in a reload of what it {@code PropagatesReloadTo=} (and what says
 *       {@code ReloadPropagatedFrom=} it) if that is active; one that cannot be added is left out.</li>
 *   <li>An isolate ({@link #isolate}) adds, after its start, a stop of every unit that is up or has a job, except
 *       what the start pulled in and what has {@code IgnoreOnIsolate=yes}.</li>
 *   <li>A wanted job that cannot be added (it conflicts, or something it requires does not exist) is left out with
 *       a message; a required one fails the request.</li>
 *   <li>An ordering cycle among the jobs is broken by deleting a job only {@code Wants=} reached; if every job on
 *       it is required, the request fails. Either way the message names every unit on the cycle.</li>
 * </ul>
 */
final class Transaction {
    private final Graph graph;
    private final Function<String, Activity> activity;
    private final Map<String, Pending> jobs = new LinkedHashMap<>();
    private final List<String> messages = new ArrayList<>();
    private Pending anchor;

    /** A job being planned, and the jobs it pulled in, each with whether it requires it. */
    static final class Pending {
        final String unit;
        JobType type;
        final Map<Pending, Boolean> pulled = new LinkedHashMap<>();

        Pending(String unit, JobType type) {
            this.unit = unit;
            this.type = type;
        }
    }

    /** The request cannot be carried out; says why. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** The jobs to install, one per unit, the anchor first; and what was left out on the way, and why. */
    record Plan(Map<String, JobType> jobs, List<String> messages) {}

    private Transaction(Graph graph, Function<String, Activity> activity) {
        this.graph = graph;
        this.activity = activity;
    }

    static Plan build(Graph graph, Function<String, Activity> activity, JobType type, String unit) throws Refused {
        var t = new Transaction(graph, activity);
        t.addAll(unit, type);
        return t.plan();
    }

    /**
     * The start of {@code target} with what it pulls in, and a stop of every other unit that is up or has a job
     * ({@code installed}), except those with {@code IgnoreOnIsolate=yes} (systemd's transaction_add_isolate_jobs).
     * A stop that cannot be added is left out with a message, as systemd ignores it.
     */
    static Plan isolate(Graph graph, Function<String, Activity> activity, String target, Set<String> installed)
            throws Refused {
        var t = new Transaction(graph, activity);
        t.addAll(target, JobType.START);
        List<Pull> stops = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.traits().ignoreOnIsolate() || t.jobs.containsKey(n.name())) continue;
            if (activity.apply(n.name()).down() && !installed.contains(n.name())) continue;
            stops.add(new Pull(n.name(), JobType.STOP, false, true));
        }
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(t.anchor, null, false, stops));
        t.follow(stack);
        return t.plan();
    }

    private Plan plan() throws Refused {
        breakCycles();
        var plan = new LinkedHashMap<String, JobType>();
        jobs.forEach((name, job) -> plan.put(name, job.type));
        return new Plan(plan, messages);
    }

    /**
     * One dependency of a job to follow: a job of {@code type} on {@code unit}, or with no type the check that
     * {@code unit} is active already ({@code Requisite=}). A {@code wanted} one may fail without failing the job.
     */
    private record Pull(String unit, JobType type, boolean required, boolean wanted) {}

    /** A new job whose dependencies are being followed, and how it was reached. */
    private static final class Frame {
        final Pending job;
        final Pending by;
        final boolean viaWants;
        final Iterator<Pull> pulls;

        Frame(Pending job, Pending by, boolean viaWants, List<Pull> pulls) {
            this.job = job;
            this.by = by;
            this.viaWants = viaWants;
            this.pulls = pulls.iterator();
        }
    }

    /**
     * The anchor job and, depth first, every job it pulls in. Iterative, so that a chain of 10,000 requirements
     * does not exhaust the stack: a failure unwinds the frames, each failed new job taken out again, up to the
     * nearest {@code Wants=}, which leaves its unit out with a message, or out of the transaction.
     */
    private void addAll(String unit, JobType type) throws Refused {
        Deque<Frame> stack = new ArrayDeque<>();
        anchor = attach(unit, type, null, true).orElseThrow();
        stack.push(new Frame(anchor, null, false, pulls(anchor)));
        follow(stack);
    }

    /** Follows the pulls of the frames on {@code stack}, and of every job they add, until none is left. */
    private void follow(Deque<Frame> stack) throws Refused {
        while (!stack.isEmpty()) {
            Frame f = stack.peek();
            if (!f.pulls.hasNext()) {
                stack.pop();
                continue;
            }
            Pull pull = f.pulls.next();
            try {
                if (pull.type() == null) {
                    requisite(f.job.unit, pull.unit());
                    continue;
                }
                Optional<Pending> added = attach(pull.unit(), pull.type(), f.job, pull.required());
                if (added.isPresent()) stack.push(new Frame(added.get(), f.job, pull.wanted(), pulls(added.get())));
            } catch (Refused failure) {
                unwind(stack, pull, failure);
            }
        }
    }

    /** {@code pull} of the top frame's job failed: fails the jobs up to the nearest Wants=, or the transaction. */
    private void unwind(Deque<Frame> stack, Pull pull, Refused failure) throws Refused {
        boolean wanted = pull.wanted();
        String wanter = stack.peek().job.unit;
        String left = pull.unit();
        while (!wanted) {
            Frame failed = stack.pop();
            jobs.remove(failed.job.unit, failed.job);
            if (failed.by != null) failed.by.pulled.remove(failed.job);
            collectGarbage();
            if (stack.isEmpty()) throw failure;
            wanted = failed.viaWants;
            wanter = failed.by.unit;
            left = failed.job.unit;
        }
        messages.add(wanter + " wants " + left + ", which is left out: " + failure.getMessage());
    }

    /**
     * Puts a job on {@code unit} in the transaction, pulled in by {@code by} (null for the anchor): merged into
     * the one there, or new, which is returned so that its dependencies are followed.
     */
    private Optional<Pending> attach(String unit, JobType type, Pending by, boolean required) throws Refused {
        if (!graph.contains(unit)) {
            throw new Refused(by == null ? unit + ": no such unit"
                    : by.unit + " needs " + unit + ", which does not exist");
        }
        Pending existing = jobs.get(unit);
        if (existing != null) {
            Optional<JobType> merged = merge(unit, existing.type, type);
            if (merged.isPresent()) {
                existing.type = merged.get();
                by.pulled.merge(existing, required, Boolean::logicalOr);
                return Optional.empty();
            }
            boolean needed = required && required().contains(by.unit);
            if (!needed || required().contains(unit)) {
                throw new Refused("conflicting jobs: " + existing.type.word() + " and " + type.word() + " of "
                        + unit);
            }
            messages.add("left out the " + existing.type.word() + " of " + unit + ", which only Wants= pulled in: "
                    + by.unit + " needs its " + type.word());
            delete(existing);
        }
        Pending job = new Pending(unit, type);
        jobs.put(unit, job);
        if (by != null) by.pulled.put(job, required);
        return Optional.of(job);
    }

    /**
     * Start, reload and restart absorb each other: restart wins; a start and a reload make a reload of an active
     * unit and a start of one that is not (systemd's reload-or-start). A stop merges only with a stop.
     */
    private Optional<JobType> merge(String unit, JobType a, JobType b) {
        if (a == b) return Optional.of(a);
        if (a == JobType.STOP || b == JobType.STOP) return Optional.empty();
        if (a == JobType.RESTART || b == JobType.RESTART) return Optional.of(JobType.RESTART);
        return Optional.of(activity.apply(unit).active() ? JobType.RELOAD : JobType.START);
    }

    /** What a new job pulls in, in systemd's order: requirements, requisites, wants, conflicts; then stops. */
    private List<Pull> pulls(Pending job) {
        String u = job.unit;
        List<Pull> out = new ArrayList<>();
        if (job.type == JobType.RELOAD) {
            for (String other : graph.forward(u, Dependency.PROPAGATES_RELOAD_TO)) reload(other, out);
            for (String other : graph.reverse(u, Dependency.RELOAD_PROPAGATED_FROM)) reload(other, out);
            return out;
        }
        if (job.type != JobType.STOP) {
            for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO)) {
                for (String other : graph.forward(u, d)) out.add(new Pull(other, JobType.START, true, false));
            }
            for (String other : graph.forward(u, Dependency.REQUISITE)) out.add(new Pull(other, null, true, false));
            for (Dependency d : List.of(Dependency.WANTS, Dependency.UPHOLDS)) {
                for (String other : graph.forward(u, d)) out.add(new Pull(other, JobType.START, false, true));
            }
            for (String other : graph.conflicts(u)) out.add(new Pull(other, JobType.STOP, true, false));
        }
        if (job.type != JobType.START) {
            JobType carried = job.type == JobType.STOP ? JobType.STOP : JobType.RESTART;
            for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO, Dependency.PART_OF)) {
                for (String other : graph.reverse(u, d)) {
                    // As try-restart: a restart is carried only to units that are up.
                    if (carried == JobType.RESTART && !activity.apply(other).up()) continue;
                    out.add(new Pull(other, carried, true, false));
                }
            }
        }
        if (job.type == JobType.STOP) {
            Set<String> propagated = new LinkedHashSet<>(graph.forward(u, Dependency.PROPAGATES_STOP_TO));
            propagated.addAll(graph.reverse(u, Dependency.STOP_PROPAGATED_FROM));
            for (String other : propagated) {
                // Graceful, as systemd's PROPAGATE_STOP_GRACEFUL: only a unit that is up is stopped.
                if (graph.contains(other) && activity.apply(other).up()) {
                    out.add(new Pull(other, JobType.STOP, true, false));
                }
            }
        }
        return out;
    }

    /** A reload carried to {@code other}: systemd's try-reload, nothing unless it is active. */
    private void reload(String other, List<Pull> out) {
        if (graph.contains(other) && activity.apply(other).active()) {
            out.add(new Pull(other, JobType.RELOAD, false, true));
        }
    }

    private void requisite(String unit, String other) throws Refused {
        if (!graph.contains(other) || !activity.apply(other).active() && !jobs.containsKey(other)) {
            throw new Refused(unit + " needs " + other + " to be active already (Requisite=), and it is not");
        }
    }

    /**
     * Deletes a job that nothing the anchor requires needs; with it go the jobs that require it (as systemd's
     * transaction_delete_job) and every job that only these pulled in.
     */
    private void delete(Pending job) {
        Deque<Pending> work = new ArrayDeque<>(List.of(job));
        while (!work.isEmpty()) {
            Pending gone = work.pop();
            if (!jobs.remove(gone.unit, gone)) continue;
            for (Pending p : List.copyOf(jobs.values())) {
                if (Boolean.TRUE.equals(p.pulled.remove(gone))) {
                    messages.add("left out the " + p.type.word() + " of " + p.unit + ", which needs " + gone.unit);
                    work.push(p);
                }
            }
        }
        collectGarbage();
    }

    /** Drops every job the anchor no longer reaches through what pulled what. */
    private void collectGarbage() {
        if (anchor == null) return;
        Set<Pending> reached = new HashSet<>();
        Deque<Pending> work = new ArrayDeque<>(List.of(anchor));
        while (!work.isEmpty()) {
            Pending p = work.pop();
            if (reached.add(p)) work.addAll(p.pulled.keySet());
        }
        jobs.values().removeIf(p -> !reached.contains(p));
    }

    /** The jobs the anchor reaches through requirements alone: these are never deleted. */
    private Set<String> required() {
        Set<String> out = new HashSet<>();
        Deque<Pending> work = new ArrayDeque<>(List.of(anchor));
        while (!work.isEmpty()) {
            Pending p = work.pop();
            if (!out.add(p.unit)) continue;
            p.pulled.forEach((other, req) -> {
                if (req) work.push(other);
            });
        }
        return out;
    }

    private void breakCycles() throws Refused {
        while (true) {
            Collection<String> units = List.copyOf(jobs.keySet());
            Optional<List<String>> cycle = OrderingCycles.find(units,
                    u -> graph.after(u).stream().filter(jobs::containsKey).toList());
            if (cycle.isEmpty()) return;
            List<String> path = cycle.get();
            Set<String> required = required();
            Optional<String> wanted = path.stream().filter(u -> !required.contains(u)).findFirst();
            if (wanted.isEmpty()) {
                throw new Refused("ordering cycle: " + OrderingCycles.describe(path)
                        + "; every job on it is required");
            }
            String dropped = wanted.get();
            messages.add("ordering cycle: " + OrderingCycles.describe(path) + "; left out the "
                    + jobs.get(dropped).type.word() + " of " + dropped + ", which only Wants= pulled in");
            delete(jobs.get(dropped));
        }
    }
}
