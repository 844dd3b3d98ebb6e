package vigil.control;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.RestartPolicy;
import vigil.os.Ending;

/** One control request, checked and typed; {@link RequestParser} makes them from JSON objects. */
public sealed interface Request {
    /** The protocol version, the daemon's version and uid, and who the kernel says the caller is. */
    record Hello() implements Request {}

    /** Every service, or the named ones (unknown names are an error). */
    record Status(List<String> names) implements Request {}

    /** What an operator can tell one service to do; {@code wait} holds the reply until it is done. */
    enum Action { START, STOP, RESTART, TRY_RESTART, ONCE, KILL, SIGNAL, PAUSE, CONT }

    /**
     * @param signal  the signal for {@link Action#SIGNAL}, else 0
     * @param await   reply once the service is up (start, restart, once) or down (stop), or failed
     * @param timeout how long to wait at most
     * @param force   for stop: a service already stopping (or being removed) is killed whole at once, without
     *                waiting out the rest of its stop timeout
     */
    record Act(Action action, String name, int signal, boolean await, Duration timeout, Whom whom, boolean force)
            implements Request {
        Act(Action action, String name, int signal, boolean await, Duration timeout) {
            this(action, name, signal, await, timeout, Whom.ALL, false);
        }

        Act(Action action, String name, int signal, boolean await, Duration timeout, Whom whom) {
            this(action, name, signal, await, timeout, whom, false);
        }
    }

    /** Whom kill and signal reach (systemctl's --kill-whom=): every process of the service by default. */
    enum Whom { MAIN, CONTROL, ALL }

    enum Until { UP, READY, DOWN }

    /** Reply once the service is up, ready or down; empty timeout waits for ever. */
    record Wait(String name, Until until, Optional<Duration> timeout) implements Request {}

    /**
     * A transient service: supervised from memory, never written anywhere.
     *
     * @param program the file to execute; argv[0] is only what the program sees
     * @param user    for root only: who it runs as (a name, a uid, or uid:gid); others' services run as them
     */
    record Add(String name, String program, List<String> argv, Map<String, String> environment, String cwd,
               RestartPolicy.When restart, Optional<String> user) implements Request {}

    /** Stop a transient service and forget it; with {@code await}, reply once it is gone. */
    record Remove(String name, boolean await, Duration timeout) implements Request {}

    /** Reload a unit: its ExecReload=, or the reload signal of a notify-reload unit. */
    record Reload(String name) implements Request {}

    /** Start a target with what it pulls in and stop every other unit ({@code systemctl isolate}). */
    record Isolate(String name) implements Request {}

    /** A failed unit becomes inactive and its start limit is forgotten. */
    record ResetFailed(String name) implements Request {}

    /** Read the unit files again: changed units take their new settings from their next start. */
    record DaemonReload() implements Request {}

    /** Hand every service to a fresh exec of the daemon (an upgrade with no service restarted). */
    record DaemonReexec() implements Request {}

    /** Look at every scanned directory again. */
    record Rescan() implements Request {}

    /** {@code list-sockets}: every socket unit's addresses and counts. */
    record ListSockets() implements Request {}

    /** Stop every service in order, then exit; the reply comes at once, the connection closes at the exit. */
    /** @param then how the system should end after, under {@code vigil init} */
    record Shutdown(Optional<Ending> then) implements Request {}

    /**
     * Rotate the built-in log of service {@code name} ({@code NAME.log} or {@code NAME/log}: of its logger;
     * {@code vigil}: the daemon's own).
     */
    record Rotate(String name) implements Request {}

    /** Every node of the dependency graph, or the named ones, with its state and dependencies. */
    record Units(List<String> names) implements Request {}

    /** The job engine's installed jobs. */
    record Jobs() implements Request {}

    /** Stream events, of every service or the named ones, until the client goes. */
    record Subscribe(List<String> names) implements Request {}
}
