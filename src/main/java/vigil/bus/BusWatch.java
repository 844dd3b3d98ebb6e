package vigil.bus;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import vigil.os.Children;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.UnixSocket;

/**
 * Watches who owns bus names on the system bus, as systemd's manager does for {@code BusName=}: one connection,
 * {@code AddMatch} for {@code NameOwnerChanged}, and {@code NameHasOwner} for each name as it is watched (and again
 * on every reconnect), so a name taken before the match was in place is not missed.
 *
 * <p>The connection lives on one small thread of its own, and every result is handed to the event loop through
 * {@code loop}: the SASL handshake and the replies are a sequential conversation that reads naturally as blocking
 * code, the bus is never on the restart path, and a slow or absent bus can then never hold up the loop. When the
 * bus goes away (dbus.service restarted), the thread reconnects with a backoff from {@link #FIRST_RETRY} doubling
 * to {@link #LAST_RETRY}, so a bus that stays down costs a connect attempt every few seconds, not a spin.
 */
public final class BusWatch {
    static final Duration FIRST_RETRY = Duration.ofMillis(100), LAST_RETRY = Duration.ofSeconds(5);
    private static final String BUS = "org.freedesktop.DBus", BUS_PATH = "/org/freedesktop/DBus";
    private static final String MATCH = "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'";

    /** Told, on the loop, each time a watched name's owner is learnt: at the first look and at each change. */
    public interface Listener {
        void ownerChanged(String name, boolean owned);
    }

    private final Path socket;
    private final Executor loop;
    private final Listener listener;
    private final Consumer<String> warn;
    private final Object writeLock = new Object();
    private final Set<String> names = new LinkedHashSet<>();
    /** NameHasOwner calls awaiting their reply: serial to name. */
    private final Map<Long, String> asked = new ConcurrentHashMap<>();
    private int fd = -1;
    private long serial;

    /**
     * @param loop runs the listener's calls and the warnings: the event loop's {@code execute}
     * @param warn says, once per outage, why the bus cannot be reached
     */
    public BusWatch(Path socket, Executor loop, Listener listener, Consumer<String> warn) {
        this.socket = socket;
        this.loop = loop;
        this.listener = listener;
        this.warn = warn;
        Thread thread = new Thread(this::run, "vigil-bus");
        thread.setDaemon(true); // it holds nothing that needs closing at exit: the bus drops a gone client
        thread.start();
    }

    /** Starts watching {@code name}; its owner is reported as soon as the bus answers. Idempotent. */
    public void watch(String name) {
        synchronized (writeLock) {
            if (!names.add(name) || fd < 0) return;
            try {
                ask(name);
            } catch (OsException e) {
                // The reader sees the same broken connection and reconnects, asking again.
            }
        }
    }

    private void run() {
        Duration retry = FIRST_RETRY;
        String lastProblem = null;
        while (true) {
            int connected = -1;
            try {
                connected = UnixSocket.open(UnixSocket.SOCK_STREAM);
                UnixSocket.connect(connected, socket);
                authenticate(connected);
                synchronized (writeLock) {
                    fd = connected;
                    send(BusMessage.methodCall(++serial, BUS, BUS_PATH, BUS, "Hello"));
                    send(BusMessage.methodCall(++serial, BUS, BUS_PATH, BUS, "AddMatch", MATCH));
                    for (String name : names) ask(name);
                }
                if (lastProblem != null) say("the system bus at " + socket + " is back");
                lastProblem = null;
                retry = FIRST_RETRY;
                read(connected);
                lastProblem = "the system bus at " + socket + " closed the connection";
            } catch (OsException | BusMessage.MalformedException | ProtocolException e) {
                String problem = "cannot watch the system bus at " + socket + ": " + e.getMessage();
                if (!problem.equals(lastProblem)) say(problem);
                lastProblem = problem;
            } finally {
                synchronized (writeLock) {
                    fd = -1;
                    asked.clear();
                }
                if (connected >= 0) Fds.close(connected);
            }
            try {
                Thread.sleep(retry);
            } catch (InterruptedException e) {
                return;
            }
            retry = retry.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : retry.multipliedBy(2);
        }
    }

    /** SASL EXTERNAL with our uid, as the specification's "Authentication Protocol" describes. */
    private static void authenticate(int fd) throws OsException, ProtocolException {
        String uid = HexFormat.of().formatHex(Integer.toString(Children.getuid()).getBytes(StandardCharsets.US_ASCII));
        writeAll(fd, ("\0AUTH EXTERNAL " + uid + "\r\n").getBytes(StandardCharsets.US_ASCII));
        String reply = line(fd);
        if (!reply.startsWith("OK ")) throw new ProtocolException("the bus refused AUTH EXTERNAL: " + reply);
        writeAll(fd, "BEGIN\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** One line of the handshake, read a byte at a time so nothing after it is taken from the stream. */
    private static String line(int fd) throws OsException, ProtocolException {
        var out = new StringBuilder();
        byte[] one = new byte[1];
        while (!out.toString().endsWith("\r\n")) {
            if (Fds.read(fd, one, 0, 1) <= 0) throw new ProtocolException("the bus closed during the handshake");
            if (out.length() > 512) throw new ProtocolException("an overlong handshake line");
            out.append((char) (one[0] & 0xff));
        }
        return out.substring(0, out.length() - 2);
    }

    private void read(int fd) throws OsException, BusMessage.MalformedException {
        byte[] buffer = new byte[64 * 1024];
        int filled = 0;
        while (true) {
            int n = Fds.read(fd, buffer, filled, buffer.length - filled);
            if (n <= 0) return;
            filled += n;
            int start = 0;
            while (filled - start >= 16) {
                int length = BusMessage.length(buffer, start);
                if (length > buffer.length) buffer = java.util.Arrays.copyOf(buffer, length);
                if (filled - start < length) break;
                received(BusMessage.parse(buffer, start, length));
                start += length;
            }
            System.arraycopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }
    }

    private void received(BusMessage m) {
        if (m.type() == BusMessage.SIGNAL && m.member().equals(java.util.Optional.of("NameOwnerChanged"))
                && m.body().size() == 3 && m.body().get(0) instanceof String name
                && m.body().get(2) instanceof String newOwner) {
            boolean watched;
            synchronized (writeLock) {
                watched = names.contains(name);
            }
            if (watched) loop.execute(() -> listener.ownerChanged(name, !newOwner.isEmpty()));
            return;
        }
        if (m.replySerial().isEmpty()) return;
        String name = asked.remove(m.replySerial().getAsLong());
        if (name == null) return;
        if (m.type() == BusMessage.METHOD_RETURN && m.body().size() == 1 && m.body().getFirst() instanceof Boolean b) {
            loop.execute(() -> listener.ownerChanged(name, b));
        } else {
            say("cannot ask the system bus who owns " + name + ": " + m.errorName().orElse("no answer"));
        }
    }

    /** Under {@link #writeLock}, connected. */
    private void ask(String name) throws OsException {
        long s = ++serial;
        asked.put(s, name);
        send(BusMessage.methodCall(s, BUS, BUS_PATH, BUS, "NameHasOwner", name));
    }

    /** Under {@link #writeLock}, connected. */
    private void send(byte[] message) throws OsException {
        writeAll(fd, message);
    }

    private static void writeAll(int fd, byte[] bytes) throws OsException {
        for (int done = 0; done < bytes.length; ) done += Fds.write(fd, bytes, done, bytes.length - done);
    }

    private void say(String message) {
        loop.execute(() -> warn.accept(message));
    }

    /** The bus answered the handshake in a way this client does not follow. */
    private static final class ProtocolException extends Exception {
        ProtocolException(String message) {
            super(message);
        }
    }
}
