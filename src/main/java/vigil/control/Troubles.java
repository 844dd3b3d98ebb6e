package vigil.control;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import vigil.service.ServiceEvent;
import vigil.service.UnitEvent;

/**
 * What status needs to say why a service is not well: its last error in words (the exec error, the rlimit the
 * kernel refused...), which otherwise is only in the daemon's own log, and how often it restarted in the last
 * minute, which tells a crash loop from a service that is merely up. Fed with every event, on the loop thread; a
 * restart costs a map lookup and a deque append.
 */
final class Troubles {
    /** A service restarting this often in a minute is in a crash loop. */
    static final int CRASH_LOOP_RESTARTS = 3;

    private static final long MINUTE_NANOS = 60_000_000_000L;

    /** More restart times than this in a minute are not kept: the count saturates, which is enough to say "loop". */
    private static final int KEPT_RESTARTS = 64;

    /** An error and when it happened (wall-clock milliseconds, as the events' times). */
    record LastError(String message, long atMillis) {}

    private final Map<String, LastError> lastErrors = new HashMap<>();
    private final Map<String, ArrayDeque<Long>> restarts = new HashMap<>();

    void event(String name, ServiceEvent event, long nowNanos) {
        switch (event) {
            case ServiceEvent.ExecFailed f -> error(name, f.describe());
            case ServiceEvent.SpawnFailed f -> error(name, f.describe());
            case ServiceEvent.SignalRefused r -> error(name, r.describe());
            case ServiceEvent.Exited x when x.then() instanceof ServiceEvent.Next.Restart -> restarted(name, nowNanos);
            default -> { }
        }
    }

    void event(String name, UnitEvent event, long nowNanos) {
        switch (event) {
            case UnitEvent.SpawnFailed e -> error(name, e.describe());
            case UnitEvent.ExecFailed e -> error(name, e.describe());
            case UnitEvent.ControlSpawnFailed e -> error(name, e.describe());
            case UnitEvent.ControlExecFailed e -> error(name, e.describe());
            case UnitEvent.ControlFailed e when !e.ignored() -> error(name, e.describe());
            case UnitEvent.DirectoriesFailed e -> error(name, e.describe());
            case UnitEvent.WatchdogTimeout e -> error(name, e.describe());
            case UnitEvent.TimedOut e -> error(name, e.describe());
            case UnitEvent.OomKilled e -> error(name, e.describe());
            case UnitEvent.SignalRefused e -> error(name, e.describe());
            case UnitEvent.PidFileRefused e -> error(name, e.describe());
            case UnitEvent.RestartScheduled r -> restarted(name, nowNanos);
            default -> { }
        }
    }

    private void error(String name, String message) {
        lastErrors.put(name, new LastError(message, System.currentTimeMillis()));
    }

    private void restarted(String name, long nowNanos) {
        ArrayDeque<Long> times = restarts.computeIfAbsent(name, n -> new ArrayDeque<>());
        if (times.size() == KEPT_RESTARTS) times.removeFirst();
        times.addLast(nowNanos);
    }

    Optional<LastError> lastError(String name) {
        return Optional.ofNullable(lastErrors.get(name));
    }

    /** How many times the service restarted in the minute before {@code nowNanos}. */
    int restartsInLastMinute(String name, long nowNanos) {
        ArrayDeque<Long> times = restarts.get(name);
        if (times == null) return 0;
        while (!times.isEmpty() && nowNanos - times.peekFirst() > MINUTE_NANOS) times.removeFirst();
        if (times.isEmpty()) restarts.remove(name);
        return times.size();
    }

    /** Adds what is known to a status entry: {@code last_error}, {@code last_error_ms}, {@code recent_restarts}. */
    void describe(String name, Map<String, Object> entry, long nowNanos) {
        lastError(name).ifPresent(e -> {
            entry.put("last_error", e.message());
            entry.put("last_error_ms", e.atMillis());
        });
        int recent = restartsInLastMinute(name, nowNanos);
        entry.put("recent_restarts", recent);
        if (recent >= CRASH_LOOP_RESTARTS) entry.put("crash_loop", true);
    }

    void forget(String name) {
        lastErrors.remove(name);
        restarts.remove(name);
    }
}
