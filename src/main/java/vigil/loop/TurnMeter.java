package vigil.loop;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long the loop's turns take, from the wake-up to the next wait, as a histogram for the metrics: its upper
 * bounds are fixed so that recording is a short scan and one increment, with no allocation, on every turn. Written
 * by the loop thread only, read by any; a reader may see a turn in the count a moment before it is in the sum.
 */
public final class TurnMeter {
    /** The buckets' upper bounds in seconds, as Prometheus shows them; a last bucket, +Inf, takes the rest. */
    public static final double[] BOUNDS_SECONDS =
            {0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length];

    static {
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) BOUNDS_NANOS[i] = Math.round(BOUNDS_SECONDS[i] * 1e9);
    }

    /** Per bucket, not cumulative; the last is +Inf. */
    private final AtomicLongArray counts = new AtomicLongArray(BOUNDS_SECONDS.length + 1);
    private final AtomicLong sumNanos = new AtomicLong();

    void record(long nanos) {
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[bucket]) bucket++;
        counts.incrementAndGet(bucket);
        sumNanos.addAndGet(nanos);
    }

    /** A copy: per bucket counts (the last +Inf), and the sum of every turn's time. */
    public Reading read() {
        long[] copy = new long[counts.length()];
        for (int i = 0; i < copy.length; i++) copy[i] = counts.get(i);
        return new Reading(copy, sumNanos.get() / 1e9);
    }

    /** Counts per bucket (not cumulative), and the total in seconds. */
    public record Reading(long[] counts, double sumSeconds) {
        public long total() {
            long total = 0;
            for (long c : counts) total += c;
            return total;
        }
    }
}
