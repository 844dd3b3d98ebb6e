package vigil.model;

import java.time.Duration;
import java.util.Objects;

/**
 * When to restart a service that died while wanted up.
 *
 * <p>{@code when} says which deaths restart at all. A run that restarts and lasted at least {@code stableRun}
 * restarts at once and resets the backoff; a shorter one waits the current backoff, which starts at
 * {@code initialBackoff} and doubles up to {@code maxBackoff}.
 */
public record RestartPolicy(Duration stableRun, Duration initialBackoff, Duration maxBackoff, When when) {
    public static final RestartPolicy DEFAULT =
            new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(60), When.ALWAYS);

    /** Which deaths of {@code run} lead to a restart. */
    public enum When {
        /** Every death (runit, s6). */
        ALWAYS,
        /**
         * A failure only: a non-zero exit, or death by a signal other than HUP, INT, TERM and PIPE (the signals
         * systemd counts as a clean end).
         */
        ON_FAILURE,
        /** None: the service stays down after its first exit. */
        NEVER
    }

    public RestartPolicy {
        Objects.requireNonNull(when, "when");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max");
        }
    }

    /** A policy that restarts after every death. */
    public RestartPolicy(Duration stableRun, Duration initialBackoff, Duration maxBackoff) {
        this(stableRun, initialBackoff, maxBackoff, When.ALWAYS);
    }

    public RestartPolicy withMaxBackoff(Duration max) {
        return new RestartPolicy(stableRun, initialBackoff, max, when);
    }

    public RestartPolicy withWhen(When rule) {
        return new RestartPolicy(stableRun, initialBackoff, maxBackoff, rule);
    }
}
