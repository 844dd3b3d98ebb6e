package vigil.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import vigil.loop.EventLoop;
import vigil.service.Service;
import vigil.service.ServiceEvent;

/**
 * Replies to requests that wait for a service (start, stop, restart, once, wait, remove) once it reaches their
 * goal, or fails on the way, or the time is up. The services' counterpart of {@link UnitWaits}.
 */
final class ServiceWaits {
    /** The goal of a remove: the service and, for a transient one, its directory are gone. */
    static final String GONE = "gone";

    private final EventLoop loop;
    /** The ok reply to a request, with the service's status. */
    private final BiFunction<Object, Service, Map<String, Object>> okWith;
    private final Map<Service, List<Waiter>> waiters = new IdentityHashMap<>();
    private final Map<ControlServer.Client, Waiter> byClient = new IdentityHashMap<>();

    /** A client waiting for a service to reach a goal, or fail on the way. */
    private static final class Waiter {
        final ControlServer.Client client;
        final Object id;
        final Service service;
        final String goal;
        final Predicate<Service> done;
        final boolean failOnDeath;
        boolean sawStart;
        EventLoop.Timer timer = () -> {};

        Waiter(ControlServer.Client client, Object id, Service service, String goal, Predicate<Service> done,
               boolean failOnDeath, int pidBefore) {
            this.client = client;
            this.id = id;
            this.service = service;
            this.goal = goal;
            this.done = done;
            this.failOnDeath = failOnDeath;
            this.sawStart = isUp(service) && service.pid() != pidBefore;
        }
    }

    ServiceWaits(EventLoop loop, BiFunction<Object, Service, Map<String, Object>> okWith) {
        this.loop = loop;
        this.okWith = okWith;
    }

    /** Up with its program running: a process that is still only about to exec does not count. */
    static boolean isUp(Service s) {
        return s.execed();
    }

    /**
     * Replies now if {@code done} holds, else once it does, or with an error if the service dies on the way
     * ({@code failOnDeath}: a start that fails) or {@code timeout} (null: none) passes first.
     *
     * @param pidBefore the service's pid before the request: a start is seen once another runs
     */
    void await(ControlServer.Client client, Object id, Service s, String goal, Predicate<Service> done,
               boolean failOnDeath, Duration timeout, int pidBefore) {
        if (done.test(s)) {
            client.send(okWith.apply(id, s));
            return;
        }
        Waiter w = new Waiter(client, id, s, goal, done, failOnDeath, pidBefore);
        client.hold();
        waiters.computeIfAbsent(s, k -> new ArrayList<>()).add(w);
        byClient.put(client, w);
        if (timeout != null) {
            w.timer = loop.schedule(timeout, () -> finish(w, Protocol.error(id, Protocol.Error.TIMEOUT, s.name()
                    + ": not " + goal + " after " + ServiceEvent.seconds(timeout) + " ("
                    + ControlCommands.stateWord(s) + ")")));
        }
    }

    /** The service's state changed: reply to those whose goal it reached. */
    void changed(Service service) {
        List<Waiter> list = waiters.get(service);
        if (list == null) return;
        for (Waiter w : List.copyOf(list)) {
            if (w.done.test(service)) finish(w, okWith.apply(w.id, service));
        }
    }

    /** A start that fails (cannot exec, cannot spawn, dies after it began) fails the requests that wait on it. */
    void event(Service service, ServiceEvent e) {
        List<Waiter> list = waiters.get(service);
        if (list == null) return;
        for (Waiter w : List.copyOf(list)) {
            if (!w.failOnDeath) continue;
            switch (e) {
                case ServiceEvent.Started s -> w.sawStart = true;
                case ServiceEvent.ExecFailed f -> finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
                        service.name() + ": " + f.describe()));
                case ServiceEvent.SpawnFailed f -> finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
                        service.name() + ": " + f.describe()));
                case ServiceEvent.Exited x when w.sawStart -> finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
                        service.name() + ": " + x.describe()));
                default -> {}
            }
        }
    }

    /**
     * The service is gone from the supervisor: every wait but a remove's fails. A remove is done now, unless
     * {@code filesStillOpen} (a transient service's directory goes only after its files are closed: see
     * {@link #gone}).
     */
    void removed(Service service, boolean filesStillOpen) {
        List<Waiter> list = waiters.get(service);
        if (list == null) return;
        for (Waiter w : List.copyOf(list)) {
            if (!w.goal.equals(GONE)) {
                finish(w, Protocol.error(w.id, Protocol.Error.UNKNOWN_SERVICE, service.name() + ": was removed"));
            } else if (!filesStillOpen) {
                finish(w, Protocol.ok(w.id));
            }
        }
    }

    /** The removed service's files are closed too: the removes waiting for it are done. */
    void gone(Service service) {
        List<Waiter> list = waiters.get(service);
        if (list != null) for (Waiter w : List.copyOf(list)) finish(w, Protocol.ok(w.id));
    }

    /** The client is gone: its wait is off. */
    void closed(ControlServer.Client client) {
        Waiter w = byClient.remove(client);
        if (w != null) forget(w);
    }

    private void finish(Waiter w, Map<String, Object> reply) {
        byClient.remove(w.client);
        forget(w);
        w.client.send(reply);
        w.client.resume();
    }

    private void forget(Waiter w) {
        w.timer.cancel();
        List<Waiter> list = waiters.get(w.service);
        if (list != null) {
            list.remove(w);
            if (list.isEmpty()) waiters.remove(w.service);
        }
    }
}
