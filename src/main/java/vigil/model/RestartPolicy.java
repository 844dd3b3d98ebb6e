package vigil.model;

import java.time.Duration;

/**
 * When to restart a service that died while wanted up.
 *
 * <p>A run that lasted at least {@code stableRun} restarts at once and resets the backoff; a shorter one waits
 * the current backoff, which starts at {@code initialBackoff} and doubles up to {@code maxBackoff}.
 */
public record RestartPolicy(Duration stableRun, Duration initialBackoff, Duration maxBackoff) {
    public static final RestartPolicy DEFAULT =
            new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(60));

    public RestartPolicy {
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max");
        }
    }

    public RestartPolicy withMaxBackoff(Duration max) {
        return new RestartPolicy(stableRun, initialBackoff, max);
    }
}
