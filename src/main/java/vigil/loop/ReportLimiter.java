package vigil.loop;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps complaints that anyone outside can cause (a bad datagram, a refused connection) from flooding Vigil's log:
 * per key (a unit, a uid), the first few of each interval are said, the rest only counted, and when the interval
 * ends one summary line gives the count. A flood of any size thus costs a few lines per interval.
 */
public final class ReportLimiter {
    /** Runs a task once a delay has passed, on the thread that calls {@link #allow}: the event loop's schedule. */
    public interface Scheduler {
        void schedule(Duration delay, Runnable task);
    }

    /** Says how many complaints of {@code key} were counted and not said in the interval just ended. */
    public interface Summary {
        void say(String key, long unsaid, Duration interval);
    }

    private final Duration interval;
    private final int saidPerInterval;
    private final Scheduler scheduler;
    private final Summary summary;
    /** The keys whose interval is running: only those with a complaint in the last interval are held. */
    private final Map<String, Window> windows = new HashMap<>();

    private static final class Window {
        int said;
        long unsaid;
    }

    public ReportLimiter(Duration interval, int saidPerInterval, Scheduler scheduler, Summary summary) {
        if (saidPerInterval < 1) throw new IllegalArgumentException("saidPerInterval must be positive");
        this.interval = Objects.requireNonNull(interval);
        this.saidPerInterval = saidPerInterval;
        this.scheduler = Objects.requireNonNull(scheduler);
        this.summary = Objects.requireNonNull(summary);
    }

    /** One complaint about {@code key}: true if it is to be said now, false if it was only counted. */
    public boolean allow(String key) {
        Window window = windows.get(key);
        if (window == null) {
            Window opened = new Window();
            windows.put(key, opened);
            scheduler.schedule(interval, () -> close(key, opened));
            window = opened;
        }
        if (window.said < saidPerInterval) {
            window.said++;
            return true;
        }
        window.unsaid++;
        return false;
    }

    private void close(String key, Window window) {
        if (windows.get(key) != window) return;
        windows.remove(key);
        if (window.unsaid > 0) summary.say(key, window.unsaid, interval);
    }
}
