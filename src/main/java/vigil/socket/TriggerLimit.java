package vigil.socket;

/**
 * {@code TriggerLimitIntervalSec=}/{@code TriggerLimitBurst=}: at most {@code burst} activations in any window of
 * {@code intervalNanos} that begins with the first one (systemd's ratelimit). A zero interval or burst: no limit.
 */
final class TriggerLimit {
    private final long intervalNanos;
    private final int burst;
    private long windowStart;
    private int count;

    TriggerLimit(long intervalNanos, int burst) {
        this.intervalNanos = intervalNanos;
        this.burst = burst;
    }

    /** Counts one activation at {@code now}; false once the window holds more than the burst. */
    boolean allow(long now) {
        if (intervalNanos <= 0 || burst <= 0) return true;
        if (count == 0 || now - windowStart >= intervalNanos) {
            windowStart = now;
            count = 0;
        }
        return ++count <= burst;
    }

    void reset() {
        count = 0;
    }
}
