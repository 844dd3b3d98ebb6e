package vigil.control;

/**
 * A token bucket on a caller's clock: {@code burst} requests at once, then {@code perSecond} a second. Pure
 * arithmetic on the nanosecond readings it is given, so tests drive it with made-up times.
 */
final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Nanoseconds each token takes to come back. */
    private final long refillNanos;
    /** How far back in time a full bucket reaches: burst tokens' worth of refills. */
    private final long capacityNanos;
    /**
     * The bucket's state as one instant: the time at which it would be full again. A token is spent by moving it
     * forward one refill; a time in the past means full. One long, no float drift.
     */
    private long fullAt;

    TokenBucket(int perSecond, int burst, long now) {
        if (perSecond < 1 || burst < 1) throw new IllegalArgumentException("rate and burst must be positive");
        this.refillNanos = NANOS_PER_SECOND / perSecond;
        this.capacityNanos = refillNanos * burst;
        this.fullAt = now;
    }

    /** Takes a token at {@code now}: 0 if there was one, else how many nanoseconds until there is (none taken). */
    long take(long now) {
        long start = Math.max(fullAt, now);
        long after = start + refillNanos;
        long over = after - now - capacityNanos;
        if (over > 0) return over;
        fullAt = after;
        return 0;
    }

    /** Whether the bucket is full at {@code now}: then forgetting it loses nothing. */
    boolean isFull(long now) {
        return fullAt - now <= 0;
    }
}
