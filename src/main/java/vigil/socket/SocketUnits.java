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
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import vigil.deps.Activity;
import vigil.loop.EventLoop;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.UnixSocket;
import vigil.reexec.Handover;
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

    /** Runs a socket unit's own {@code Exec*=} lists. */
    public interface Commands {
        /**
         * Starts {@code section}'s {@code kind} list; {@code ended} hears on the loop, never before this returns,
         * empty if every command succeeded (or failed with a {@code -} prefix), else why the list failed.
         */
        Run run(String unit, SocketSection section, SocketSection.ExecKind kind, Consumer<Optional<String>> ended);
    }

    /** A list being run. */
    public interface Run {
        /** Asks the command running to end and the list to go no further; {@code ended} still follows. */
        void stop();

        boolean running();
    }

    /** One line of {@code list-sockets}. */
    public record Row(String listen, String kind, String unit, String activates, String state, long accepted,
                      int connections) {}

    private final EventLoop loop;
    private final Services services;
    private final Commands commands;
    private final Accounts accounts;
    private final BiConsumer<String, String> say;
    private final LongSupplier clock;
    private final Map<String, SocketUnit> units = new LinkedHashMap<>();
    /** Each service unit's Sockets=: more socket units whose fds it gets. */
    private Map<String, List<String>> namedSockets = Map.of();
    private final Map<String, Connection> connections = new HashMap<>();
    /** After a re-exec: the sockets the old daemon had bound, by unit, until each unit is read again. */
    private final Map<String, Handover.Socket> resuming = new HashMap<>();
    private final Map<String, Integer> perSource = new HashMap<>();
    private long lastDropReport;
    private boolean droppedBefore;
    private long dropped;

    public SocketUnits(EventLoop loop, Services services, Commands commands, Accounts accounts,
                       BiConsumer<String, String> say, LongSupplier clock) {
        this.loop = loop;
        this.services = services;
        this.commands = commands;
        this.accounts = accounts;
        this.say = say;
        this.clock = clock;
    }

    // ---- the units, as read ----

    /** A socket unit read (again): a new one waits for its start; a changed one keeps its fds till restarted. */
    public void put(String name, SocketSection section) {
        SocketUnit unit = units.get(name);
        if (unit != null) {
            unit.respec(section);
            return;
        }
        unit = new SocketUnit(name, section);
        units.put(name, unit);
        Handover.Socket handedOver = resuming.remove(name);
        if (handedOver != null) adopt(unit, handedOver);
    }

    /** A socket unit whose file is gone: closed and forgotten. */
    public void remove(String name) {
        SocketUnit unit = units.remove(name);
        if (unit == null) return;
        if (unit.control != null) unit.control.stop();
        unit.close();
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
            case START_PRE, START_POST -> Activity.ACTIVATING;
            case LISTENING, RUNNING -> Activity.ACTIVE;
            case STOP_PRE, STOP_POST -> Activity.DEACTIVATING;
        };
    }

    /** A socket unit running one of its Exec*= lists, if any: a re-exec waits for it (it carries no such process). */
    public Optional<String> busy() {
        for (SocketUnit unit : units.values()) {
            if (unit.control != null) return Optional.of(unit.name + " is " + unit.state.word());
        }
        return Optional.empty();
    }

    /**
     * Starts the unit as systemd's socket_enter_start_pre() does: {@code ExecStartPre=}, then its addresses bound,
     * then {@code ExecStartPost=}, then listening. A failed {@code ExecStartPre=} leaves it {@code failed} with nothing
     * bound; a failed bind or {@code ExecStartPost=} runs the stop ({@code ExecStopPre=}, fds closed,
     * {@code ExecStopPost=}) and then leaves it {@code failed}, the message naming the command or the address.
     */
    public void start(String name) {
        SocketUnit unit = units.get(name);
        if (unit == null || unit.state != SocketUnit.State.INACTIVE && unit.state != SocketUnit.State.FAILED) return;
        List<String> problems = unit.section.problems();
        unit.lastError = "";
        unit.failure = null;
        unit.stopRequested = false;
        if (!problems.isEmpty()) {
            unit.failure = String.join("; ", problems);
            dead(unit);
            return;
        }
        phase(unit, SocketSection.ExecKind.START_PRE, SocketUnit.State.START_PRE, () -> bind(unit), why -> {
            unit.failure = why;
            dead(unit);
        });
    }

    private void bind(SocketUnit unit) {
        if (unit.stopRequested) {
            dead(unit);
            return;
        }
        try {
            for (String warning : unit.open(id(unit, true), id(unit, false))) say.accept(unit.name, warning);
        } catch (BindFailure e) {
            fail(unit, e.getMessage());
            return;
        }
        phase(unit, SocketSection.ExecKind.START_POST, SocketUnit.State.START_POST, () -> listening(unit), why -> {
            unit.failure = why;
            stopPre(unit);
        });
    }

    private void listening(SocketUnit unit) {
        if (unit.stopRequested) {
            stopPre(unit);
            return;
        }
        unit.trigger.reset();
        unit.state = SocketUnit.State.LISTENING;
        follow(unit);
        if (unit.state != SocketUnit.State.LISTENING && unit.state != SocketUnit.State.RUNNING) return;
        say.accept(unit.name, "listening on " + String.join(", ", unit.listeners().stream().map(Listener::text)
                .toList()));
        services.changed(unit.name);
    }

    /** Stops the unit as systemd does: {@code ExecStopPre=} while still bound, the fds closed, {@code ExecStopPost=}. */
    public void stop(String name) {
        SocketUnit unit = units.get(name);
        if (unit == null) return;
        switch (unit.state) {
            case START_PRE, START_POST -> {
                unit.stopRequested = true;
                unit.control.stop();
            }
            case LISTENING, RUNNING -> stopPre(unit);
            case STOP_PRE, STOP_POST -> { }
            case INACTIVE, FAILED -> {
                unit.close();
                unit.state = SocketUnit.State.INACTIVE;
                services.changed(name);
            }
        }
    }

    private void stopPre(SocketUnit unit) {
        unit.disarm();
        phase(unit, SocketSection.ExecKind.STOP_PRE, SocketUnit.State.STOP_PRE, () -> stopPost(unit), why -> {
            if (unit.failure == null) unit.failure = why;
            stopPost(unit);
        });
    }

    private void stopPost(SocketUnit unit) {
        unit.close();
        phase(unit, SocketSection.ExecKind.STOP_POST, SocketUnit.State.STOP_POST, () -> dead(unit), why -> {
            if (unit.failure == null) unit.failure = why;
            dead(unit);
        });
    }

    /** The end of a start or a stop: {@code failed} if something went wrong on the way, else {@code inactive}. */
    private void dead(SocketUnit unit) {
        unit.close();
        unit.stopRequested = false;
        if (unit.failure != null) {
            unit.state = SocketUnit.State.FAILED;
            unit.lastError = unit.failure;
            unit.failure = null;
            say.accept(unit.name, "failed: " + unit.lastError);
        } else {
            unit.state = SocketUnit.State.INACTIVE;
        }
        services.changed(unit.name);
    }

    /**
     * Runs the unit's {@code kind} list in {@code state}, then {@code next}, or {@code failed} with why; at once
     * {@code next} if it has none. A stop that came meanwhile is left to {@code next} and {@code failed} to see.
     */
    private void phase(SocketUnit unit, SocketSection.ExecKind kind, SocketUnit.State state, Runnable next,
                       Consumer<String> failed) {
        if (unit.section.commands().getOrDefault(kind, List.of()).isEmpty()) {
            next.run();
            return;
        }
        unit.state = state;
        services.changed(unit.name);
        unit.control = commands.run(unit.name, unit.section, kind, failure -> {
            unit.control = null;
            // A unit whose file went meanwhile is closed and forgotten already.
            if (units.get(unit.name) != unit) return;
            if (failure.isEmpty() || unit.stopRequested) next.run();
            else failed.accept(failure.get());
        });
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

    /** Ends the unit {@code failed} with {@code why}, through its stop (systemd's socket_enter_stop_pre). */
    private void fail(SocketUnit unit, String why) {
        if (unit.failure == null) unit.failure = why;
        stopPre(unit);
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

    // ---- daemon-reexec ----

    /**
     * What the old daemon hands over: the fds of every unit that is bound, so that the new one binds nothing again
     * and a client waiting in a backlog, or connecting meanwhile, is served. The fds stay this daemon's too, should
     * the exec fail.
     */
    public List<Handover.Socket> handOver() {
        List<Handover.Socket> out = new ArrayList<>();
        for (SocketUnit unit : units.values()) {
            if (unit.state != SocketUnit.State.LISTENING && unit.state != SocketUnit.State.RUNNING) continue;
            out.add(new Handover.Socket(unit.name, unit.listeners().stream().map(Listener::fd).toList(),
                    unit.state == SocketUnit.State.RUNNING, unit.accepted));
        }
        return out;
    }

    /** The new daemon: the old one's bound sockets, each taken up when its unit is read again. */
    public void resume(List<Handover.Socket> handedOver) {
        for (Handover.Socket s : handedOver) resuming.put(s.unit(), s);
    }

    /**
     * A unit handed over takes its fds in the state it was in: listening (watched again), or running (its service
     * has them; watched again once the service is down, as before the exec).
     */
    private void adopt(SocketUnit unit, Handover.Socket handedOver) {
        if (handedOver.fds().size() != unit.section.listens().size()) {
            handedOver.fds().forEach(Fds::close);
            say.accept(unit.name, "its Listen*= lines changed since the re-exec; its sockets are closed and bound "
                    + "again at its next start");
            return;
        }
        unit.adopt(handedOver.fds());
        unit.accepted = handedOver.accepted();
        if (handedOver.running()) {
            // Its service is not taken up yet (the units are being read): it runs, as the old daemon left it.
            unit.state = SocketUnit.State.RUNNING;
            return;
        }
        unit.state = SocketUnit.State.LISTENING;
        follow(unit);
    }

    /** After a re-exec, once the units are read: the sockets of units whose file is gone are closed. */
    public void closeUntaken() {
        for (Handover.Socket s : resuming.values()) s.fds().forEach(Fds::close);
        resuming.clear();
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
        for (SocketUnit unit : units.values()) {
            if (unit.control != null) unit.control.stop();
            unit.close();
        }
        for (Connection c : connections.values()) Fds.close(c.fd());
        connections.clear();
    }
}
