package vigil.control;

import java.time.Duration;
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
    private final HeldClients<Service, Waiter> held = new HeldClients<>();

    /** A client waiting for a service to reach a goal, or fail on the way. */
    private static final class Waiter extends HeldClients.Waiter<Service> {
        final String goal;
        final Predicate<Service> done;
        final boolean failOnDeath;
        boolean sawStart;

        Waiter(ControlServer.Client client, Object id, Service service, String goal, Predicate<Service> done,
               boolean failOnDeath, int pidBefore) {
            super(client, id, service);
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
        held.hold(w);
        if (timeout != null) {
            w.timer = loop.schedule(timeout, () -> held.finish(w, Protocol.error(id, Protocol.Error.TIMEOUT, s.name()
                    + ": not " + goal + " after " + ServiceEvent.seconds(timeout) + " ("
                    + ControlCommands.stateWord(s) + ")")));
        }
    }

    /** The service's state changed: reply to those whose goal it reached. */
    void changed(Service service) {
        for (Waiter w : held.on(service)) {
            if (w.done.test(service)) held.finish(w, okWith.apply(w.id, service));
        }
    }

    /** A start that fails (cannot exec, cannot spawn, dies after it began) fails the requests that wait on it. */
    void event(Service service, ServiceEvent e) {
        for (Waiter w : held.on(service)) {
            if (!w.failOnDeath) continue;
            switch (e) {
                case ServiceEvent.Started s -> w.sawStart = true;
                case ServiceEvent.ExecFailed f -> held.finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
                        service.name() + ": " + f.describe()));
                case ServiceEvent.SpawnFailed f -> held.finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
                        service.name() + ": " + f.describe()));
                case ServiceEvent.Exited x when w.sawStart -> held.finish(w, Protocol.error(w.id, Protocol.Error.FAILED,
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
        for (Waiter w : held.on(service)) {
            if (!w.goal.equals(GONE)) {
                held.finish(w, Protocol.error(w.id, Protocol.Error.UNKNOWN_SERVICE, service.name() + ": was removed"));
            } else if (!filesStillOpen) {
                held.finish(w, Protocol.ok(w.id));
            }
        }
    }

    /** The removed service's files are closed too: the removes waiting for it are done. */
    void gone(Service service) {
        for (Waiter w : held.on(service)) held.finish(w, Protocol.ok(w.id));
    }

    /** The client is gone: its wait is off. */
    void closed(ControlServer.Client client) {
        held.closed(client);
    }
}
