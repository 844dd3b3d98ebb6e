package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import vigil.loop.EventLoop;
import vigil.loop.ReportLimiter;
import vigil.os.Epoll;
import vigil.os.Fds;
import vigil.os.NotifySocket;
import vigil.os.OsException;
import vigil.service.NotifyMessage;
import vigil.service.UnitOs.NotifyReceiver;

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
    private final ReportLimiter drops;

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

    Optional<Path> open(String unit, NotifyReceiver receiver) {
        close(unit);
        Path path = directory.resolve(unit);
        Socket socket;
        try {
            Files.createDirectories(directory);
            socket = new Socket(NotifySocket.open(path), receiver);
        } catch (IOException e) {
            reporter.say(unit, "no notify socket, so sd_notify messages are lost: " + e.getMessage());
            return Optional.empty();
        }
        sockets.put(unit, socket);
        try {
            socket.watch = loop.watch(socket.fd, Epoll.EPOLLIN, events -> receive(unit, socket));
        } catch (OsException e) {
            reporter.say(unit, "cannot watch its notify socket, so sd_notify messages are lost: " + e.getMessage());
        }
        return Optional.of(path);
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
            for (var d = NotifySocket.receive(socket.fd, buffers); d.isPresent();
                 d = ++turn < DATAGRAMS_PER_TURN ? NotifySocket.receive(socket.fd, buffers) : Optional.empty()) {
                if (d.get().truncated()) {
                    if (drops.allow(unit)) {
                        reporter.say(unit, "notification from pid " + d.get().pid() + " dropped: longer than "
                                + NotifySocket.MAX_MESSAGE + " bytes");
                    }
                    continue;
                }
                NotifyMessage message = NotifyMessage.parse(d.get().text());
                // A barrier needs no NotifyAccess= (systemd-notify sends it from its own pid after speaking for
                // its parent).
                if (message.isEmpty()) continue;
                if (!socket.receiver.receive(d.get().pid(), d.get().uid(), message.fields()) && drops.allow(unit)) {
                    reporter.say(unit, "notification from pid " + d.get().pid()
                            + " dropped: its NotifyAccess= does not allow that sender");
                }
            }
        } catch (OsException e) {
            if (drops.allow(unit)) reporter.say(unit, "notify socket: " + e.getMessage());
        }
    }
}
