package vigil.deps;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The engine's jobs that wait, indexed by the units whose jobs they wait for, and the jobs to look at next. A job
 * that ends or changes wakes only the jobs that waited for it, and a woken job is looked at once every unit it
 * waited for has moved on: so the work grows with the jobs and their ordering edges, not with the jobs times the
 * changes, as when every waiting job was looked at again on every change (10,000 units took minutes).
 *
 * <p>What wakes a job is never taken as leave to run: the engine checks it again, and it waits anew for whatever
 * blocks it then.
 */
final class WaitingJobs {
    /** Jobs to look at, in the order they came: new ones, and those whose every reason to wait has gone. */
    private final Set<Job> toCheck = new LinkedHashSet<>();
    /** For each unit, the jobs that wait for its job. */
    private final Map<String, Set<Job>> waitersOf = new HashMap<>();
    /** For each waiting job, the units whose jobs it waits for. */
    private final Map<Job, Set<String>> waitsFor = new HashMap<>();

    /** Looks at {@code job} at the next dispatch: it is new, or its own unit's state changed. */
    void check(Job job) {
        toCheck.add(job);
    }

    /** {@code job} waits until each of {@code units} has had its job end or change. */
    void waitFor(Job job, Collection<String> units) {
        Set<String> waited = waitsFor.computeIfAbsent(job, j -> new LinkedHashSet<>());
        for (String unit : units) {
            if (waited.add(unit)) waitersOf.computeIfAbsent(unit, u -> new LinkedHashSet<>()).add(job);
        }
    }

    /** The job on {@code unit} changed its type (a restart's stop is done): what waited for it is looked at. */
    void changed(String unit) {
        Set<Job> waiters = waitersOf.remove(unit);
        if (waiters == null) return;
        for (Job waiter : waiters) {
            Set<String> rest = waitsFor.get(waiter);
            rest.remove(unit);
            if (rest.isEmpty()) {
                waitsFor.remove(waiter);
                toCheck.add(waiter);
            }
        }
    }

    /** {@code job} is no longer installed: it waits for nothing, and what waited for it is looked at. */
    void ended(Job job) {
        toCheck.remove(job);
        Set<String> waited = waitsFor.remove(job);
        if (waited != null) {
            for (String unit : waited) {
                Set<Job> waiters = waitersOf.get(unit);
                waiters.remove(job);
                if (waiters.isEmpty()) waitersOf.remove(unit);
            }
        }
        changed(job.unit());
    }

    /** Every installed job is looked at again: the ordering changed (a daemon-reload). */
    void checkAll(Collection<Job> jobs) {
        waitersOf.clear();
        waitsFor.clear();
        toCheck.addAll(jobs);
    }

    /** The next job to look at, taken off the list. */
    Optional<Job> next() {
        Iterator<Job> first = toCheck.iterator();
        if (!first.hasNext()) return Optional.empty();
        Job job = first.next();
        first.remove();
        return Optional.of(job);
    }
}
