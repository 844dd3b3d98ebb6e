package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.Fds;
import vigil.os.NotifySocket;
import vigil.os.OsException;
import vigil.service.UnitOs.NotifyReceiver;

/**
 * The units' sd_notify sockets: one datagram socket per unit, named after it, so a message needs no pid-to-unit
 * lookup and {@code NotifyAccess=all} is simply "whoever holds the socket's name". Each is watched on the loop and
 * its messages parsed and handed to the unit.
 */
final class UnitNotifySockets {
    private final EventLoop loop;
    private final Path directory;
    private final Reporter reporter;
    private final NotifySocket.Buffers buffers = new NotifySocket.Buffers();
    private final Map<String, Socket> sockets = new HashMap<>();

    /** One unit's socket. */
    private static final class Socket {
        final int fd;
        final NotifyReceiver receiver;
        EventLoop.Registration watch;
        boolean saidDropped;

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
            for (var d = NotifySocket.receive(socket.fd, buffers); d.isPresent();
                 d = NotifySocket.receive(socket.fd, buffers)) {
                if (d.get().truncated()) {
                    reporter.say(unit, "notification from pid " + d.get().pid() + " dropped: longer than "
                            + NotifySocket.MAX_MESSAGE + " bytes");
                    continue;
                }
                Map<String, String> fields = parse(d.get().text());
                // A barrier's only effect, closing its fd, is done; it needs no NotifyAccess= (systemd-notify
                // sends it from its own pid after speaking for its parent).
                if (fields.isEmpty() || fields.keySet().equals(Set.of("BARRIER"))) continue;
                if (!socket.receiver.receive(d.get().pid(), d.get().uid(), fields) && !socket.saidDropped) {
                    socket.saidDropped = true;
                    reporter.say(unit, "notification from pid " + d.get().pid()
                            + " dropped: its NotifyAccess= does not allow that sender; further drops are not reported");
                }
            }
        } catch (OsException e) {
            reporter.say(unit, "notify socket: " + e.getMessage());
        }
    }

    /** sd_notify's newline-separated KEY=VALUE lines; the last value of a key wins. */
    static Map<String, String> parse(String text) {
        var fields = new LinkedHashMap<String, String>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) fields.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return fields;
    }
}
