package vigil.deps;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * The job engine's own CPU time: the loop thread's CPU time spent in the engine's calls, less what the units do when
 * the engine starts or stops them (a spawn is the unit's cost, not the engine's). Calls nest (a unit may report a
 * change back to the engine before its start returns), so the meter keeps a stack of who is running, and reads
 * the thread's CPU clock only when the engine comes in or goes out. Loop thread only.
 */
public final class EngineMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** For each call under way, innermost first: true for the engine's own, false for a unit's. */
    private final Deque<Boolean> calls = new ArrayDeque<>();
    private long since;
    private long cpuNanos;
    private long jobs;

    /** What the engine has cost so far, over the jobs it has finished. */
    public record Reading(long jobs, long cpuNanos) {
        /** "1001 jobs, 12.3 ms CPU (12 µs per job)". */
        public String describe() {
            String perJob = jobs == 0 ? "" : String.format(Locale.ROOT, " (%d µs per job)", cpuNanos / jobs / 1000);
            return String.format(Locale.ROOT, "%d jobs, %.1f ms CPU%s", jobs, cpuNanos / 1e6, perJob);
        }
    }

    /** The engine is called. */
    void enter() {
        push(true);
    }

    /** The engine's call returns. */
    void exit() {
        pop();
    }

    /** The engine calls a unit, whose time is its own: until {@link #back}. */
    void away() {
        push(false);
    }

    void back() {
        pop();
    }

    void jobFinished() {
        jobs++;
    }

    Reading reading() {
        return new Reading(jobs, cpuNanos + (inEngine() ? cpuNow() - since : 0));
    }

    private void push(boolean engine) {
        boolean was = inEngine();
        calls.push(engine);
        switched(was);
    }

    private void pop() {
        boolean was = inEngine();
        calls.pop();
        switched(was);
    }

    private boolean inEngine() {
        return !calls.isEmpty() && calls.peek();
    }

    private void switched(boolean was) {
        if (was == inEngine()) return;
        long now = cpuNow();
        if (was) cpuNanos += now - since;
        since = now;
    }

    private static long cpuNow() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
