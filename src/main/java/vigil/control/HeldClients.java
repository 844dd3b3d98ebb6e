package vigil.control;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import vigil.loop.EventLoop;

/**
 * Clients held until a service or unit reaches what they wait for ({@link ServiceWaits}, {@link UnitWaits}): found
 * by what they wait on when it changes, and by client when one goes away. No other request of a held client is
 * read until its reply is sent.
 *
 * @param <S> what is waited on
 * @param <W> a waiter, with what its table needs to decide
 */
final class HeldClients<S, W extends HeldClients.Waiter<S>> {
    /** One held request: who asked, its id, what it waits on, and its timeout. */
    abstract static class Waiter<S> {
        final ControlServer.Client client;
        final Object id;
        final S subject;
        EventLoop.Timer timer = () -> {};

        Waiter(ControlServer.Client client, Object id, S subject) {
            this.client = client;
            this.id = id;
            this.subject = subject;
        }
    }

    private final Map<S, List<W>> bySubject = new IdentityHashMap<>();
    private final Map<ControlServer.Client, W> byClient = new IdentityHashMap<>();

    /** Holds the waiter's client until {@link #finish}. */
    void hold(W w) {
        w.client.hold();
        bySubject.computeIfAbsent(w.subject, k -> new ArrayList<>()).add(w);
        byClient.put(w.client, w);
    }

    /** The waiters on {@code subject}, as a copy: each may be finished while going through them. */
    List<W> on(S subject) {
        List<W> list = bySubject.get(subject);
        return list == null ? List.of() : List.copyOf(list);
    }

    /** Sends the reply and lets the client's next request be read. */
    void finish(W w, Map<String, Object> reply) {
        byClient.remove(w.client);
        forget(w);
        w.client.send(reply);
        w.client.resume();
    }

    /** The client is gone: its wait is off. */
    void closed(ControlServer.Client client) {
        W w = byClient.remove(client);
        if (w != null) forget(w);
    }

    private void forget(W w) {
        w.timer.cancel();
        List<W> list = bySubject.get(w.subject);
        if (list != null) {
            list.remove(w);
            if (list.isEmpty()) bySubject.remove(w.subject);
        }
    }
}
