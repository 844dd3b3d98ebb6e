package vigil.service;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import vigil.os.ExitStatus;

/**
 * A service's state as {@code daemon-reexec} carries it to the new daemon: only the states it can be handed over
 * in, those with no process in a transition (no exec, finish, probe or stop under way), so the new daemon's
 * service picks up exactly where the old one was.
 *
 * @param backoff the delay of the next short run's restart
 */
public record ServiceSnapshot(Phase phase, Want want, boolean paused, boolean gotTerm, Duration backoff,
                              int restarts, Optional<ExitStatus> lastExit) {
    public ServiceSnapshot {
        Objects.requireNonNull(phase);
        Objects.requireNonNull(want);
        Objects.requireNonNull(backoff);
        Objects.requireNonNull(lastExit);
    }

    /** Where the service is; times are {@link System#nanoTime()}'s, which an exec does not reset. */
    public sealed interface Phase {
        /** Nothing runs and nothing is scheduled. */
        record Down(long sinceNanos) implements Phase {}

        /** {@code pid} runs its program (its exec is done); {@code ready} if its readiness protocol said so. */
        record Up(int pid, long sinceNanos, boolean ready) implements Phase {}

        /** The restart is due at {@code untilNanos}. */
        record BackingOff(long untilNanos) implements Phase {}
    }
}
