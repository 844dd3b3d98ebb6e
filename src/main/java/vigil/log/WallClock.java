package vigil.log;

import java.time.Instant;

/** The time logs are stamped with and rotated files named by: the real-time clock, read once per chunk. */
@FunctionalInterface
public interface WallClock {
    /** Nanoseconds since 1970-01-01T00:00:00Z. */
    long epochNanos();

    WallClock SYSTEM = () -> {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
}
