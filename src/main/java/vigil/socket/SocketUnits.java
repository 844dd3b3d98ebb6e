package vigil.socket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import vigil.deps.Activity;
import vigil.loop.EventLoop;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.UnixSocket;
import vigil.unit.Accounts;
import vigil.unit.InvalidValueException;
import vigil.unit.SocketSection;

/**
 * Every {@code .socket} unit: bound when the job engine starts it (before the services ordered after it), watched
 * by the event loop while it waits for an activation, and handed to its service's main process at 3.. (see
 * {@link PassedFds}). Everything runs on the loop thread.
 *
 * <ul>
 *   <li>{@code Accept=no}: the first connection or datagram starts the service, and the loop stops watching the
 *       fds until the service is down again; meanwhile the kernel queues what comes in (the backlog), so a client
 *       that connects during a restart is served by the next instance, never refused.</li>
 *   <li>{@code Accept=yes}: Vigil accepts each connection and starts one instance of {@code NAME@.service} for it,
 *       up to {@code MaxConnections=} (and {@code MaxConnectionsPerSource=}); a connection beyond is closed at
 *       once, as systemd does, so a flood never piles up fds.</li>
 *   <li>{@code TriggerLimitBurst=} activations within {@code TriggerLimitIntervalSec=} put the unit in
 *       {@code failed}: its fds are closed, so a service that dies at every start cannot make a busy loop.</li>
 * </ul>
 */
public final class SocketUnits implements PassedFds.Source {
    /** How many connections one wake-up takes off a listener, so that a flood does not hold the loop. */
    private static final int ACCEPTS_PER_WAKEUP = 32;

    /** What the socket units need of the daemon. */
    public interface Services {
        /**
         * Starts the service (a unit through a start job, a service directory at once); false if it cannot be
         * started at all (the job is refused), having said why.
         */
        boolean activate(String service);

        /** Whether nothing of the service runs. */
        boolean down(String service);

        /** Loads the instance of an Accept=yes template and starts it; false (and says why) if it cannot. */
        boolean startInstance(String instance);

        /** Forgets an instance that has ended. */
        void removeInstance(String instance);

        /** A socket unit's activity changed (the job engine may be waiting for it). */
        void changed(String socketUnit);
    }

    /** One line of {@code list-sockets}. */
    public record Row(String listen, String kind, String unit, String activates, String state, long accepted,
                      int connections) {}

    private final EventLoop loop;
    private final Services services;
    private final Accounts accounts;
    private final BiConsumer<String, String> say;
    private final LongSupplier clock;
    private final Map<String, SocketUnit> units = new LinkedHashMap<>();
    /** Each service unit's Sockets=: more socket units whose fds it gets. */
    private Map<String, List<String>> namedSockets = Map.of();
    private final Map<String, Connection> connections = new HashMap<>();
    private final Map<String, Integer> perSource = new HashMap<>();
    private long lastDropReport;
    private boolean droppedBefore;
    private long dropped;

    public SocketUnits(EventLoop loop, Services services, Accounts accounts, BiConsumer<String, String> say,
                       LongSupplier clock) {
        this.loop = loop;
        this.services = services;
        this.accounts = accounts;
        this.say = say;
        this.clock = clock;
    }

    // ---- the units, as read ----

    /** A socket unit read (again): a new one waits for its start; a changed one keeps its fds till restarted. */
    public void put(String name, SocketSection section) {
        SocketUnit unit = units.get(name);
        if (unit == null) units.put(name, new SocketUnit(name, section));
        else unit.respec(section);
    }

    /** A socket unit whose file is gone: closed and forgotten. */
    public void remove(String name) {
        SocketUnit unit = units.remove(name);
        if (unit != null) unit.close();
    }

    public boolean contains(String name) {
        return units.containsKey(name);
    }

    /** Each service's Sockets=, as read. */
    public void namedSockets(Map<String, List<String>> byService) {
        namedSockets = Map.copyOf(byService);
    }

    /** Each Accept=no socket unit's service, by socket unit. */
    public Map<String, String> triggers() {
        Map<String, String> out = new LinkedHashMap<>();
        for (SocketUnit u : units.values()) if (!u.section.accept()) out.put(u.name, u.service());
        return out;
    }

    /** Each service's Sockets=. */
    public Map<String, List<String>> namedSockets() {
        return namedSockets;
    }

    /** The services the socket units activate: they start on activation, not with the default target. */
    public Set<String> activated() {
        Set<String> out = new LinkedHashSet<>();
        for (SocketUnit u : units.values()) if (!u.section.accept()) out.add(u.service());
        return out;
    }

    // ---- the job engine's side ----

    public Activity activity(String name) {
        SocketUnit unit = units.get(name);
        if (unit == null) return Activity.FAILED;
        return switch (unit.state) {
            case INACTIVE -> Activity.INACTIVE;
            case FAILED -> Activity.FAILED;
            case LISTENING, RUNNING -> Activity.ACTIVE;
        };
    }

    /** Binds the unit's addresses; {@code failed} with a message naming the address if one cannot be bound. */
    public void start(String name) {
        SocketUnit unit = units.get(name);
        if (unit == null || unit.state == SocketUnit.State.LISTENING || unit.state == SocketUnit.State.RUNNING) {
            return;
        }
        try {
            List<String> problems = unit.section.problems();
            if (!problems.isEmpty()) throw new BindFailure(String.join("; ", problems));
            unit.open(id(unit, true), id(unit, false));
        } catch (BindFailure e) {
            fail(unit, e.getMessage());
            return;
        }
        unit.trigger.reset();
        unit.lastError = "";
        unit.state = SocketUnit.State.LISTENING;
        follow(unit);
        say.accept(name, "listening on " + String.join(", ", unit.listeners().stream().map(Listener::text)
                .toList()));
        services.changed(name);
    }

    public void stop(String name) {
        SocketUnit unit = units.get(name);
        if (unit == null) return;
        unit.close();
        unit.state = SocketUnit.State.INACTIVE;
        services.changed(name);
    }

    /** reset-failed. */
    public void resetFailed(String name) {
        SocketUnit unit = units.get(name);
        if (unit != null && unit.state == SocketUnit.State.FAILED) unit.state = SocketUnit.State.INACTIVE;
    }

    private OptionalInt id(SocketUnit unit, boolean user) throws BindFailure {
        Optional<String> name = user ? unit.section.socketUser() : unit.section.socketGroup();
        if (name.isEmpty()) return OptionalInt.empty();
        try {
            return OptionalInt.of(user ? accounts.user(name.get()).credentials().uid() : accounts.group(name.get()));
        } catch (InvalidValueException e) {
            throw new BindFailure((user ? "SocketUser=" : "SocketGroup=") + name.get() + ": " + e.getMessage());
        }
    }

    private void fail(SocketUnit unit, String why) {
        unit.close();
        unit.state = SocketUnit.State.FAILED;
        unit.lastError = why;
        say.accept(unit.name, "failed: " + why);
        services.changed(unit.name);
    }

    // ---- activation ----

    /** Watches the unit's fds if it waits for an activation, else leaves them to the service. */
    private void follow(SocketUnit unit) {
        // Accept=yes is always watched: a connection beyond MaxConnections= is taken and closed (as systemd
        // does), not left in the backlog where the client would wait for nothing.
        boolean wait = unit.state == SocketUnit.State.LISTENING
                && (unit.section.accept() || services.down(unit.service()));
        if (!unit.section.accept() && unit.state == SocketUnit.State.LISTENING && !wait) {
            unit.state = SocketUnit.State.RUNNING;
        }
        if (!wait) {
            unit.disarm();
            return;
        }
        try {
            unit.arm(loop, events -> readable(unit));
        } catch (OsException e) {
            fail(unit, "cannot watch its fds: " + e.getMessage());
        }
    }

    private void readable(SocketUnit unit) {
        if (!unit.trigger.allow(clock.getAsLong())) {
            fail(unit, "trigger limit hit (more than " + unit.section.triggerLimitBurst() + " activations in "
                    + unit.section.triggerLimitInterval() + "); no longer listening on "
                    + String.join(", ", unit.listeners().stream().map(Listener::text).toList()));
            return;
        }
        if (unit.section.accept()) {
            acceptSome(unit);
            return;
        }
        unit.disarm();
        unit.state = SocketUnit.State.RUNNING;
        unit.accepted++;
        // Listening again waits for the service's state to say it is down: a start job still queued leaves it
        // down for now, and watching then would wake the loop again and again for the same connection.
        if (!services.activate(unit.service())) fail(unit, "cannot start " + unit.service());
    }

    /**
     * A service (or an Accept=yes instance) changed: an Accept=no socket goes back to listening once its service is
     * down, and stops being watched while it runs; an instance that ended gives back its connection.
     */
    public void serviceChanged(String service, boolean down) {
        Connection connection = connections.get(service);
        if (connection != null) {
            if (down) ended(connection);
            return;
        }
        String key = normal(service);
        for (SocketUnit unit : units.values()) {
            if (unit.section.accept() || !unit.service().equals(key)) continue;
            if (unit.state == SocketUnit.State.RUNNING && down) unit.state = SocketUnit.State.LISTENING;
            if (unit.state == SocketUnit.State.LISTENING || unit.state == SocketUnit.State.RUNNING) follow(unit);
        }
    }

    private static String normal(String service) {
        return service.endsWith(".service") ? service : service + ".service";
    }

    // ---- Accept=yes ----

    private void acceptSome(SocketUnit unit) {
        for (Listener l : unit.listeners()) {
            for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
                vigil.os.Sockets.Accepted a;
                try {
                    a = vigil.os.Sockets.accept(l.fd());
                } catch (OsException e) {
                    say.accept(unit.name, "accept on " + l.text() + ": " + e.getMessage());
                    break;
                }
                if (a == null) break;
                take(unit, l, a);
                if (unit.state != SocketUnit.State.LISTENING) return;
            }
        }
    }

    private void take(SocketUnit unit, Listener listener, vigil.os.Sockets.Accepted a) {
        Optional<Addresses.Peer> peer = Addresses.peer(a.peer());
        String source = peer.map(Addresses.Peer::host).orElseGet(() -> unixSource(a.fd()));
        int fromSource = perSource.getOrDefault(unit.name + " " + source, 0);
        if (unit.connections >= unit.section.maxConnections()
                || unit.section.maxConnectionsPerSource() > 0 && fromSource >= unit.section.maxConnectionsPerSource()) {
            Fds.close(a.fd());
            drop(unit, listener, fromSource > 0 && unit.connections < unit.section.maxConnections()
                    ? "too many connections from " + source + " (" + fromSource + ")"
                    : "too many connections (" + unit.connections + ")");
            return;
        }
        String instance = InstanceNames.unitName(unit.name, InstanceNames.instance(unit.accepted, a.fd(), a.peer()));
        unit.accepted++;
        Map<String, String> env = new LinkedHashMap<>();
        peer.ifPresent(p -> {
            env.put("REMOTE_ADDR", p.host());
            env.put("REMOTE_PORT", Integer.toString(p.port()));
        });
        Connection c = new Connection(unit.name, instance, a.fd(), source, env);
        connections.put(instance, c);
        unit.connections++;
        perSource.merge(unit.name + " " + source, 1, Integer::sum);
        if (!services.startInstance(instance)) ended(c);
    }

    private static String unixSource(int fd) {
        try {
            return "uid " + Integer.toUnsignedString(UnixSocket.peerCredentials(fd).uid());
        } catch (OsException e) {
            return "unknown";
        }
    }

    /** Reported at most once a second, so a flood does not flood the log too. */
    private void drop(SocketUnit unit, Listener listener, String why) {
        dropped++;
        long now = clock.getAsLong();
        if (droppedBefore && now - lastDropReport < 1_000_000_000L) return;
        droppedBefore = true;
        lastDropReport = now;
        say.accept(unit.name, why + " on " + listener.text() + "; dropping connection (" + dropped
                + " dropped so far)");
    }

    private void ended(Connection c) {
        connections.remove(c.instance());
        Fds.close(c.fd());
        perSource.computeIfPresent(c.socketUnit() + " " + c.source(), (k, n) -> n <= 1 ? null : n - 1);
        SocketUnit unit = units.get(c.socketUnit());
        if (unit != null) unit.connections--;
        // Not from inside the instance's own state change: the supervisor is still telling of it.
        loop.execute(() -> services.removeInstance(c.instance()));
    }

    // ---- the fds a service gets ----

    @Override
    public Optional<PassedFds> fdsFor(String service) {
        Connection c = connections.get(service);
        if (c != null) {
            return Optional.of(new PassedFds(List.of(c.fd()), List.of("connection"), OptionalInt.of(c.fd()),
                    c.environment()));
        }
        String key = normal(service);
        List<SocketUnit> from = new ArrayList<>();
        for (SocketUnit unit : units.values()) {
            if (!unit.section.accept() && unit.service().equals(key)) from.add(unit);
        }
        for (String named : namedSockets.getOrDefault(key, List.of())) {
            SocketUnit unit = units.get(named);
            if (unit != null && !from.contains(unit)) from.add(unit);
        }
        List<Integer> fds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (SocketUnit unit : from) {
            for (Listener l : unit.listeners()) {
                fds.add(l.fd());
                names.add(unit.fdName());
            }
        }
        return fds.isEmpty() ? Optional.empty()
                : Optional.of(new PassedFds(fds, names, OptionalInt.empty(), Map.of()));
    }

    // ---- listing ----

    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (SocketUnit unit : units.values()) {
            String activates = unit.section.accept() ? InstanceNames.template(unit.name) : unit.service();
            List<String> addresses = unit.section.listens().stream().map(Binder::text).toList();
            for (int i = 0; i < addresses.size(); i++) {
                rows.add(new Row(addresses.get(i), unit.section.listens().get(i).kind().directive(), unit.name,
                        activates, unit.state.word() + (unit.lastError.isEmpty() ? "" : " (" + unit.lastError + ")"),
                        unit.accepted, unit.connections));
            }
        }
        return rows;
    }

    /** Closes everything (the daemon's end). */
    public void closeAll() {
        for (SocketUnit unit : units.values()) unit.close();
        for (Connection c : connections.values()) Fds.close(c.fd());
        connections.clear();
    }
}
