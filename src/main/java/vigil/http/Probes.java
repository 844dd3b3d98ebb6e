package vigil.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /healthz} and {@code /readyz}, for Kubernetes probes and load balancers. Healthy: the event loop answers.
 * Ready: the first scan is done, the daemon is not stopping, every service not meant to be down is up and ready,
 * and no critical service has failed.
 */
final class Probes {
    private Probes() {}

    /** Ready or not, with why not (one line per service that holds readiness back). */
    record Verdict(boolean ready, List<String> why) {}

    static Verdict daemon(DaemonSnapshot snapshot) {
        List<String> why = new ArrayList<>();
        if (!snapshot.settled()) why.add("the daemon is still taking up its services");
        if (snapshot.stopping()) why.add("the daemon is shutting down");
        for (Map<String, Object> e : snapshot.entries()) {
            if (isCritical(e) && failed(e)) {
                why.add("critical service " + e.get("name") + " failed");
            } else if (wanted(e) && !isReady(e)) {
                why.add(e.get("name") + " is " + e.get("state") + (e.containsKey("unit") ? "" : ", not up and ready"));
            }
        }
        return new Verdict(why.isEmpty(), why);
    }

    /** One service's readiness; empty if there is no such service. */
    static Optional<Verdict> service(DaemonSnapshot snapshot, String name) {
        for (Map<String, Object> e : snapshot.entries()) {
            String n = String.valueOf(e.get("name"));
            if (n.equals(name) || n.equals(name + ".service")) {
                return Optional.of(isReady(e) ? new Verdict(true, List.of())
                        : new Verdict(false, List.of(n + " is " + e.get("state"))));
            }
        }
        return Optional.empty();
    }

    /** Up and ready: a directory's "up" (a ready "starting" is "up"), a unit's "active". */
    static boolean isReady(Map<String, Object> e) {
        Object state = e.get("state");
        return "up".equals(state) || "active".equals(state);
    }

    /**
     * A critical service (a {@code critical} file in a service directory, {@code X-Vigil-Critical=yes} in a unit),
     * as its status entry says with {@code "critical": true}: one that failed makes the daemon unready.
     */
    static boolean isCritical(Map<String, Object> e) {
        return Boolean.TRUE.equals(e.get("critical"));
    }

    /** A service that is meant to run: not one wanted down, run once, or being removed. */
    private static boolean wanted(Map<String, Object> e) {
        Object want = e.get("want");
        if (e.containsKey("unit")) {
            // A oneshot that has done its work is inactive with success, and that is what it was for.
            if ("inactive".equals(e.get("state")) && "success".equals(e.get("result"))) return false;
            return !"down".equals(want) && !"exit".equals(want);
        }
        return "up".equals(want);
    }

    private static boolean failed(Map<String, Object> e) {
        Object state = e.get("state");
        if ("failed".equals(state) || "backoff".equals(state)) return true;
        return "down".equals(state) && e.get("last_exit") instanceof Map<?, ?> last
                && (last.get("signal") != null || (last.get("code") instanceof Number n && n.intValue() != 0));
    }
}
