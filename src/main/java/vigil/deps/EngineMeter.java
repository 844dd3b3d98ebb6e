package vigil.deps;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * The job engine's own CPU time: the loop thread's CPU time in the engine's calls, less what the units do when the
 * engine starts or stops them (a spawn is the unit's cost, not the engine's). Calls nest (a unit may report a change
 * back to the engine before its start returns), so the meter keeps a stack of who is running, and reads the thread's
 * CPU clock only when the engine comes in or goes out. Loop thread only.
 *
 * <p>Reading that clock is a system call (about 1.6 µs of CPU on the 2-core test machine), so the calls that only
 * look a unit up, with no job installed, are not metered: every change of every unit comes to the engine, restarts
 * included. The monotonic clock would be cheap, but on a loaded machine it counts the time the loop thread waits
 * for a core, many times the engine's own.
 */
public final class EngineMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** For each call under way, innermost first: true for the engine's own, false for a unit's. */
    private final Deque<Boolean> calls = new ArrayDeque<>();
    private long since;
    private long cpuNanos;
    private long jobs;
    private long checks;

    /**
     * What the engine has cost so far, over the jobs it has finished.
     *
     * @param checks how many times the engine looked at a waiting job to see whether it may run: the work that
     *               grows with the graph, which stays a small multiple of the jobs however many units wait
     * @param cpuNanos the engine's own CPU time
     */
    public record Reading(long jobs, long checks, long cpuNanos) {
        /** "1001 jobs, 2002 checks, 12.3 ms CPU (12.3 µs per job)". */
        public String describe() {
            String perJob = jobs == 0 ? "" : String.format(Locale.ROOT, " (%.1f µs per job)", cpuNanos / 1e3 / jobs);
            return String.format(Locale.ROOT, "%d jobs, %d checks, %.1f ms CPU%s", jobs, checks, cpuNanos / 1e6,
                    perJob);
        }
    }

    /** The engine is called; {@code metered} unless the call is only a look-up. Until {@link #leave}. */
    void enter(boolean metered) {
        push(metered);
    }

    /** The engine calls a unit, whose time is its own: until {@link #leave}. */
    void away() {
        push(false);
    }

    /** The innermost call that {@link #enter} or {@link #away} began returns. */
    void leave() {
        pop();
    }

    void jobFinished() {
        jobs++;
    }

    /** The engine looked at a waiting job to see whether it may run. */
    void checked() {
        checks++;
    }

    Reading reading() {
        return new Reading(jobs, checks, cpuNanos + (inEngine() ? cpuNow() - since : 0));
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
