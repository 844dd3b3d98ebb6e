package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import vigil.loop.EventLoop;
import vigil.model.UnitSpec;
import vigil.loop.ReportLimiter;
import vigil.os.Epoll;
import vigil.os.Fds;
import vigil.os.NotifySocket;
import vigil.os.OsException;
import vigil.service.NotifyMessage;
import vigil.service.UnitOs.NotifyReceiver;
import vigil.socket.FdStore;

/**
 * The units' sd_notify sockets: one datagram socket per unit, named after it, so a message needs no pid-to-unit
 * lookup and {@code NotifyAccess=all} is simply "whoever holds the socket's name". Each is watched on the loop and
 * its messages parsed and handed to the unit.
 *
 * <p>Anyone may send to a socket, so a datagram that is dropped (too long, or from a sender the unit's
 * {@code NotifyAccess=} does not allow) is counted, and said only a few times per unit per interval; one line then
 * gives the count of the rest. A flood of them costs a few log lines, and each turn of the loop reads at most
 * {@link #DATAGRAMS_PER_TURN} from one socket, so it delays nothing else.
 */
final class UnitNotifySockets {
    static final int DATAGRAMS_PER_TURN = 64;
    static final Duration COMPLAINT_INTERVAL = Duration.ofSeconds(10);
    static final int COMPLAINTS_SAID = 3;

    private final EventLoop loop;
    private final Path directory;
    private final Reporter reporter;
    private final NotifySocket.Buffers buffers = new NotifySocket.Buffers();
    private final Map<String, Socket> sockets = new HashMap<>();
    /**
     * After a re-exec: the sockets the old daemon handed over, by unit, each taken by {@link #open} instead of a new
     * one, so a message sent during the exec waits in it and the unit's processes keep their {@code NOTIFY_SOCKET}.
     */
    private final Map<String, Integer> handedOver = new HashMap<>();
    private final ReportLimiter drops;
    /** Where FDSTORE=1 puts the fds that come with a message, and each unit's limits; unset, they are closed. */
    private FdStore fdStore;
    private Function<String, UnitSpec.FdStore> fdStoreLimits = unit -> UnitSpec.FdStore.NONE;

    /** One unit's socket. */
    private static final class Socket {
        final int fd;
        final NotifyReceiver receiver;
        EventLoop.Registration watch;

        Socket(int fd, NotifyReceiver receiver) {
            this.fd = fd;
            this.receiver = receiver;
        }
    }

    /** @param directory where the sockets go, one per unit, named after it */
    UnitNotifySockets(EventLoop loop, Path directory, Reporter reporter) {
        this.loop = loop;
        this.directory = directory;
        this.reporter = reporter;
        this.drops = new ReportLimiter(COMPLAINT_INTERVAL, COMPLAINTS_SAID, loop::schedule,
                (unit, unsaid, interval) -> reporter.say(unit, unsaid + " more notifications dropped in the last "
                        + interval.toSeconds() + " s (too long, or from a sender its NotifyAccess= does not allow)"));
    }

    /** Keeps the fds sent with {@code FDSTORE=1} in {@code store}, up to each unit's {@code limits}. */
    void keepFdsIn(FdStore store, Function<String, UnitSpec.FdStore> limits) {
        fdStore = store;
        fdStoreLimits = limits;
    }

    /** The old daemon's socket of {@code unit} is {@code fd}: the unit's {@link #open} takes it up. */
    void handedOver(String unit, int fd) {
        handedOver.put(unit, fd);
    }

    /** The handed-over sockets that no unit took up (its file is gone since the exec): closed and removed. */
    void closeUntaken() {
        for (Map.Entry<String, Integer> e : handedOver.entrySet()) {
            Fds.close(e.getValue());
            try {
                Files.deleteIfExists(directory.resolve(e.getKey()));
            } catch (IOException ignored) {
                // A stale socket file is replaced when the unit comes back.
            }
        }
        handedOver.clear();
    }

    /**
     * Before the exec: the unit's socket fd, no longer watched (what arrives waits for the new daemon); empty if it
     * has none. {@link #execFailed} watches it again.
     */
    OptionalInt handOver(String unit) {
        Socket socket = sockets.get(unit);
        if (socket == null) return OptionalInt.empty();
        if (socket.watch != null) socket.watch.cancel();
        socket.watch = null;
        return OptionalInt.of(socket.fd);
    }

    /** The exec failed: the unit's socket is watched again. */
    void execFailed(String unit) {
        Socket socket = sockets.get(unit);
        if (socket == null || socket.watch != null) return;
        watch(unit, socket);
    }

    Optional<Path> open(String unit, NotifyReceiver receiver) {
        Path path = directory.resolve(unit);
        Integer inherited = handedOver.remove(unit);
        if (inherited != null) {
            Socket socket = new Socket(inherited, receiver);
            sockets.put(unit, socket);
            watch(unit, socket);
            return Optional.of(path);
        }
        close(unit);
        Socket socket;
        try {
            NotifyDirectory.make(directory);
            socket = new Socket(NotifySocket.open(path), receiver);
        } catch (IOException e) {
            reporter.say(unit, "no notify socket, so sd_notify messages are lost: " + e.getMessage());
            return Optional.empty();
        }
        sockets.put(unit, socket);
        watch(unit, socket);
        return Optional.of(path);
    }

    private void watch(String unit, Socket socket) {
        try {
            socket.watch = loop.watch(socket.fd, Epoll.EPOLLIN, events -> receive(unit, socket));
        } catch (OsException e) {
            reporter.say(unit, "cannot watch its notify socket, so sd_notify messages are lost: " + e.getMessage());
        }
    }

    void close(String unit) {
        Socket socket = sockets.remove(unit);
        if (socket == null) return;
        if (socket.watch != null) socket.watch.cancel();
        Fds.close(socket.fd);
        try {
            Files.deleteIfExists(directory.resolve(unit));
        } catch (IOException ignored) {
            // A stale socket file is replaced when the unit comes back.
        }
    }

    private void receive(String unit, Socket socket) {
        try {
            int turn = 0;
            for (var d = NotifySocket.receiveWithFds(socket.fd, buffers); d.isPresent();
                 d = ++turn < DATAGRAMS_PER_TURN ? NotifySocket.receiveWithFds(socket.fd, buffers)
                         : Optional.empty()) {
                List<Integer> fds = new ArrayList<>(d.get().fds());
                try {
                    handle(unit, socket, d.get(), fds);
                } finally {
                    // Whatever the store did not take: a barrier's pipe, a refused sender's, a message without
                    // FDSTORE=1.
                    fds.forEach(Fds::close);
                }
            }
        } catch (OsException e) {
            if (drops.allow(unit)) reporter.say(unit, "notify socket: " + e.getMessage());
        }
    }

    /** Acts on one datagram; the fds of {@code fds} it stores it removes from the list. */
    private void handle(String unit, Socket socket, NotifySocket.Datagram d, List<Integer> fds) {
        if (d.truncated()) {
            if (drops.allow(unit)) {
                reporter.say(unit, "notification from pid " + d.pid() + " dropped: longer than "
                        + NotifySocket.MAX_MESSAGE + " bytes");
            }
            return;
        }
        NotifyMessage message = NotifyMessage.parse(d.text());
        // A barrier needs no NotifyAccess= (systemd-notify sends it from its own pid after speaking for its parent).
        if (message.isEmpty()) return;
        if (!socket.receiver.receive(d.pid(), d.uid(), message.fields())) {
            if (drops.allow(unit)) {
                reporter.say(unit, "notification from pid " + d.pid()
                        + " dropped: its NotifyAccess= does not allow that sender");
            }
            return;
        }
        Map<String, String> fields = message.fields();
        String name = fields.get("FDNAME");
        if (name != null && name.isEmpty()) name = null;
        if ("1".equals(fields.get("FDSTOREREMOVE")) && name != null && fdStore != null) fdStore.remove(unit, name);
        if (fdStore == null || !"1".equals(fields.get("FDSTORE")) || fds.isEmpty()) return;
        String problem = fdStore.store(unit, fdStoreLimits.apply(unit), List.copyOf(fds), name);
        fds.clear();
        if (!problem.isEmpty()) reporter.say(unit, "FDSTORE=1 from pid " + d.pid() + ": " + problem);
    }
}
