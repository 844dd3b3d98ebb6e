package vigil.deps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 *   <li>A start pulls in a start of what it {@code Requires=}, {@code BindsTo=} (required) and {@code Wants=}
 *       (wanted), and a stop of what it conflicts with, either way round. {@code Requisite=} pulls in nothing: the
 *       unit must be active already or the request fails.</li>
 *   <li>A stop pulls in a stop of what requires it, is bound to it, or is {@code PartOf=} it; a restart pulls in a
 *       restart of those that are up, and the requirements a start pulls in.</li>
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
        t.add(unit, type, null, true);
        t.breakCycles();
        var plan = new LinkedHashMap<String, JobType>();
        t.jobs.forEach((name, job) -> plan.put(name, job.type));
        return new Plan(plan, t.messages);
    }

    private Pending add(String unit, JobType type, Pending by, boolean required) throws Refused {
        if (!graph.contains(unit)) {
            throw new Refused(by == null ? unit + ": no such unit"
                    : by.unit + " needs " + unit + ", which does not exist");
        }
        Pending existing = jobs.get(unit);
        if (existing != null) {
            Optional<JobType> merged = merge(existing.type, type);
            if (merged.isPresent()) {
                existing.type = merged.get();
                if (by != null) by.pulled.merge(existing, required, Boolean::logicalOr);
                return existing;
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
        if (by == null) anchor = job;
        if (by != null) by.pulled.put(job, required);
        try {
            pullIn(job);
        } catch (Refused e) {
            jobs.remove(unit);
            if (by != null) by.pulled.remove(job);
            collectGarbage();
            throw e;
        }
        return job;
    }

    /** Start and restart absorb each other (restart wins); a stop merges only with a stop. */
    private static Optional<JobType> merge(JobType a, JobType b) {
        if (a == b) return Optional.of(a);
        if (a == JobType.STOP || b == JobType.STOP) return Optional.empty();
        return Optional.of(JobType.RESTART);
    }

    private void pullIn(Pending job) throws Refused {
        String u = job.unit;
        if (job.type != JobType.STOP) {
            for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO)) {
                for (String other : graph.forward(u, d)) add(other, JobType.START, job, true);
            }
            for (String other : graph.forward(u, Dependency.REQUISITE)) {
                if (!graph.contains(other) || activity.apply(other) != Activity.ACTIVE && !jobs.containsKey(other)) {
                    throw new Refused(u + " needs " + other + " to be active already (Requisite=), and it is not");
                }
            }
            for (String other : graph.forward(u, Dependency.WANTS)) {
                try {
                    add(other, JobType.START, job, false);
                } catch (Refused e) {
                    messages.add(u + " wants " + other + ", which is left out: " + e.getMessage());
                }
            }
            for (String other : graph.conflicts(u)) add(other, JobType.STOP, job, true);
        }
        if (job.type != JobType.START) {
            JobType carried = job.type == JobType.STOP ? JobType.STOP : JobType.RESTART;
            for (Dependency d : List.of(Dependency.REQUIRES, Dependency.BINDS_TO, Dependency.PART_OF)) {
                for (String other : graph.reverse(u, d)) {
                    // As try-restart: a restart is carried only to units that are up.
                    if (carried == JobType.RESTART && !activity.apply(other).up()) continue;
                    add(other, carried, job, true);
                }
            }
        }
    }

    /**
     * Deletes a job that nothing the anchor requires needs; with it go the jobs that require it (as systemd's
     * transaction_delete_job) and every job that only these pulled in.
     */
    private void delete(Pending job) {
        if (!jobs.remove(job.unit, job)) return;
        for (Pending p : List.copyOf(jobs.values())) {
            if (Boolean.TRUE.equals(p.pulled.remove(job))) {
                messages.add("left out the " + p.type.word() + " of " + p.unit + ", which needs " + job.unit);
                delete(p);
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
