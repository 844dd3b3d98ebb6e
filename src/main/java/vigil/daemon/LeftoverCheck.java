package vigil.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a process a previous Vigil recorded as running (a pid and its start time, from {@code supervise/status}
 * or a unit's state file) is still that very process, left behind when that Vigil died: the one question to answer
 * before signalling it. A pure function of the record and of what {@code /proc} says now, so that every case is
 * tested without processes; {@link Leftovers} gathers the facts, through a pidfd taken first.
 */
final class LeftoverCheck {
    private LeftoverCheck() {}

    /**
     * How far the recorded start may be from the one {@code /proc} gives. The record is stamped on the loop right
     * after the fork (microseconds, milliseconds under load), {@code /proc} counts in clock ticks (10 ms) and the
     * boot time it is added to comes from {@code /proc/uptime} (10 ms): a second is ample. A recycled pid would
     * have to be taken within that second of the recorded start, by a process started after the recorded one had
     * died, and the previous Vigil would have had to die before writing that death down.
     */
    static final Duration TOLERANCE = Duration.ofSeconds(1);

    /** What a previous Vigil wrote down: the pid and when that process started. */
    record Recorded(int pid, Instant started) {}

    /** What {@code /proc/PID/stat} says of the process that has that pid now. */
    record ProcessFacts(Instant started, int parentPid) {}

    /** The answer. */
    sealed interface Verdict {}

    /** It is the recorded process: stop it before starting the service anew. */
    record Leftover() implements Verdict {}

    /** No process has that pid now: nothing to do. */
    record Gone() implements Verdict {}

    /** Another process has the pid now: leave it alone, and say so. */
    record Recycled(Instant started) implements Verdict {}

    /** A pid Vigil must never signal whatever the record says (itself, PID 1, its own child). */
    record Never(String why) implements Verdict {}

    /**
     * @param now     what {@code /proc} says of the pid now; empty if no process has it
     * @param selfPid this daemon's pid
     */
    static Verdict judge(Recorded recorded, Optional<ProcessFacts> now, int selfPid) {
        int pid = recorded.pid();
        if (pid <= 0) return new Gone();
        if (pid == 1) return new Never("it is PID 1");
        if (pid == selfPid) return new Never("it is this Vigil");
        if (now.isEmpty()) return new Gone();
        ProcessFacts facts = now.get();
        // A child of this daemon is one it started itself, whatever a stale file says.
        if (facts.parentPid() == selfPid) return new Never("it is a process of this Vigil");
        Duration apart = Duration.between(recorded.started(), facts.started()).abs();
        if (apart.compareTo(TOLERANCE) > 0) return new Recycled(facts.started());
        return new Leftover();
    }
}
