package vigil.control;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.UnixSocket;

/**
 * The control socket's transport: a listening unix stream socket and its connections, all non-blocking on the
 * event loop. It cuts input into lines and hands each to a {@link LineHandler}, and queues what is sent back.
 * No client can hold anyone else up:
 * <ul>
 *   <li>each connection has its own input buffer, so half a line just waits there;
 *   <li>a line longer than {@link Protocol#MAX_LINE} is answered with an error and the connection closed;
 *   <li>each turn of the loop reads at most {@link #READ_CHUNK} bytes from one connection;
 *   <li>while a reply is pending or a request is in progress, the connection's input is not read (so a client
 *       that sends without reading only fills its own socket buffer);
 *   <li>a subscriber whose unread events pass {@link #SUBSCRIBER_BACKLOG} bytes is dropped.
 * </ul>
 */
public final class ControlServer implements AutoCloseable {
    static final int READ_CHUNK = 16 * 1024;
    /** Events owed to one subscriber before it is dropped: thousands of events, a few hundred KB per client. */
    static final int SUBSCRIBER_BACKLOG = 256 * 1024;
    private static final int ACCEPTS_PER_TURN = 64;
    private static final int BACKLOG = 1024;

    private final EventLoop loop;
    private final Path path;
    private final int listenFd;
    private final EventLoop.Registration listening;
    private final LineHandler handler;
    private final Consumer<String> say;
    private final Set<Connection> connections = new LinkedHashSet<>();
    /** One native buffer for every read and send: all of them happen on the loop thread. */
    private final MemorySegment buffer = Arena.ofAuto().allocate(READ_CHUNK);
    private boolean closed;

    /** What the server does with a line, and hears when a connection ends. */
    public interface LineHandler {
        void line(Client client, String line);

        /** The connection is gone; whatever it was waiting for is off. */
        void closed(Client client);
    }

    /** One connected client as the request handling sees it. */
    public interface Client {
        /** Who connected, as the kernel saw it at connect time. */
        UnixSocket.PeerCredentials peer();

        /** Sends one JSON object as a line. Ignored once the connection is closed. */
        void send(Map<String, Object> message);

        /** Stops handing over lines until {@link #resume}: a request is in progress (a wait, a subscription). */
        void hold();

        void resume();

        /** From now on only events go out; what the client sends is read and dropped, and its backlog capped. */
        void subscribe();

        boolean isOpen();

        /** The connection's socket, for {@code daemon-reexec}, which hands it to the new daemon to reply on. */
        int fd();
    }

    private ControlServer(EventLoop loop, Path path, int listenFd, LineHandler handler, Consumer<String> say)
            throws OsException {
        this.loop = loop;
        this.path = path;
        this.listenFd = listenFd;
        this.handler = handler;
        this.say = say;
        this.listening = loop.watch(listenFd, Epoll.EPOLLIN, events -> acceptSome());
    }

    /**
     * Listens on {@code path}, making its directory (0755) if needed. A socket file left by a daemon that is gone
     * is replaced; one with a live listener is not.
     *
     * @throws IOException naming the path: another daemon listens there, or it cannot be made
     */
    public static ControlServer open(EventLoop loop, Path path, LineHandler handler, Consumer<String> say)
            throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            Files.createDirectories(parent,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        removeStaleSocket(path);
        int fd = UnixSocket.open(UnixSocket.SOCK_STREAM | UnixSocket.SOCK_NONBLOCK);
        try {
            UnixSocket.bind(fd, path);
            // Anyone may connect: what each caller may do is decided by its uid, which the kernel tells us.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
            UnixSocket.listen(fd, BACKLOG);
            return new ControlServer(loop, path, fd, handler, say);
        } catch (IOException | RuntimeException e) {
            Fds.close(fd);
            throw e;
        }
    }

    /**
     * Listens on the socket an old daemon handed over ({@code daemon-reexec}): bound and listening all along, so
     * clients that connected during the exec wait in its backlog.
     */
    public static ControlServer adopt(EventLoop loop, Path path, int listenFd, LineHandler handler,
                                      Consumer<String> say) throws OsException {
        return new ControlServer(loop, path, listenFd, handler, say);
    }

    /** The listening socket, for {@code daemon-reexec}. */
    public int listenFd() {
        return listenFd;
    }

    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        if (!"socket".equals(kind(path))) throw new IOException(path + ": exists and is not a socket");
        int probe = UnixSocket.open(UnixSocket.SOCK_STREAM);
        try {
            UnixSocket.connect(probe, path);
            throw new IOException(path + ": another vigil daemon is listening there");
        } catch (OsException e) {
            if (e.errno() != Errno.ECONNREFUSED) throw e;
            Files.deleteIfExists(path);
        } finally {
            Fds.close(probe);
        }
    }

    private static String kind(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000 ? "socket" : "other";
    }

    public Path path() {
        return path;
    }

    /** How many clients are connected now. */
    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection and the listener, and removes the socket file. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        listening.cancel();
        Fds.close(listenFd);
        for (Connection c : List.copyOf(connections)) c.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            say.accept("cannot remove the control socket " + path + ": " + e.getMessage());
        }
    }

    private void acceptSome() throws OsException {
        for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
            int fd;
            try {
                fd = UnixSocket.accept(listenFd);
            } catch (OsException e) {
                // Out of fds (EMFILE/ENFILE): the pending client stays queued until one is free.
                if (e.errno() == Errno.EMFILE || e.errno() == Errno.ENFILE) return;
                throw e;
            }
            if (fd < 0) return;
            try {
                Connection c = new Connection(fd, UnixSocket.peerCredentials(fd));
                c.registration = loop.watch(fd, Epoll.EPOLLIN, c::ready);
                connections.add(c);
            } catch (OsException e) {
                Fds.close(fd);
                say.accept("control: cannot take a connection: " + e.getMessage());
            }
        }
    }

    private final class Connection implements Client {
        final int fd;
        final UnixSocket.PeerCredentials peer;
        EventLoop.Registration registration;
        byte[] in = new byte[256];
        int inLength;
        /** Where the next line starts in {@link #in}, and how far it was searched for a newline. */
        int lineStart, scanned;
        byte[] out = new byte[0];
        int outStart, outEnd;
        boolean held, subscriber, inputEnded, closeWhenFlushed, open = true;
        int watched = Epoll.EPOLLIN;

        Connection(int fd, UnixSocket.PeerCredentials peer) {
            this.fd = fd;
            this.peer = peer;
        }

        @Override
        public UnixSocket.PeerCredentials peer() {
            return peer;
        }

        @Override
        public int fd() {
            return fd;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        void ready(int events) {
            if ((events & Epoll.EPOLLOUT) != 0) flush();
            if (!open) return;
            if ((events & Epoll.EPOLLIN) != 0 && wantsInput()) read();
            else if ((events & (Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) close();
            if (open) updateInterest();
        }

        private boolean wantsInput() {
            return !inputEnded && !closeWhenFlushed && (subscriber || (!held && outEnd == outStart));
        }

        private void read() {
            long n;
            try {
                if (subscriber) {
                    n = Fds.read(fd, buffer, READ_CHUNK);
                    if (n == 0) inputEnded = true;
                    return;
                }
                int room = Math.min(READ_CHUNK, Protocol.MAX_LINE + 1 - (inLength - lineStart));
                n = Fds.read(fd, buffer, room);
            } catch (OsException e) {
                close();
                return;
            }
            if (n < 0) return;
            if (n == 0) {
                // A client may send its request and shut its side down (socat does): answer it, then close. A
                // last line without a newline counts.
                inputEnded = true;
                closeWhenFlushed = true;
                if (inLength > lineStart && inLength - lineStart <= Protocol.MAX_LINE) {
                    append(0);
                    in = Arrays.copyOf(in, inLength + 1);
                    in[inLength++] = '\n';
                }
                handleLines();
                closeIfDone();
                return;
            }
            append((int) n);
            handleLines();
        }

        private void append(int n) {
            if (lineStart > 0) {
                System.arraycopy(in, lineStart, in, 0, inLength - lineStart);
                inLength -= lineStart;
                scanned -= lineStart;
                lineStart = 0;
            }
            if (inLength + n > in.length) {
                in = Arrays.copyOf(in, Math.max(in.length * 2, inLength + n));
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, in, inLength, n);
            inLength += n;
        }

        /** Hands complete lines over, one at a time, until one puts the connection on hold. */
        private void handleLines() {
            while (open && !held && !subscriber) {
                int newline = -1;
                for (int i = scanned; i < inLength; i++) {
                    if (in[i] == '\n') {
                        newline = i;
                        break;
                    }
                }
                if (newline < 0) {
                    scanned = inLength;
                    if (inLength - lineStart > Protocol.MAX_LINE) refuseLongLine();
                    return;
                }
                int end = newline > lineStart && in[newline - 1] == '\r' ? newline - 1 : newline;
                String line = new String(in, lineStart, end - lineStart, StandardCharsets.UTF_8);
                lineStart = newline + 1;
                scanned = lineStart;
                if (!line.isBlank()) handler.line(this, line);
            }
        }

        private void refuseLongLine() {
            send(Protocol.error(null, Protocol.Error.TOO_LONG,
                    "request line longer than " + Protocol.MAX_LINE + " bytes; closing the connection"));
            in = new byte[0];
            inLength = lineStart = scanned = 0;
            closeWhenFlushed = true;
            closeIfDone();
        }

        @Override
        public void send(Map<String, Object> message) {
            if (!open) return;
            byte[] bytes = (Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
            if (subscriber && (outEnd - outStart) + bytes.length > SUBSCRIBER_BACKLOG) {
                say.accept("control: dropped a subscriber (pid " + peer.pid() + ", uid " + peer.uid()
                        + ") that left " + (outEnd - outStart) + " bytes of events unread");
                close();
                return;
            }
            int sent = 0;
            if (outEnd == outStart) {
                sent = sendNow(bytes, 0, bytes.length);
                if (sent < 0) return;
            }
            if (sent < bytes.length) queue(bytes, sent);
            if (open) updateInterest();
        }

        /** Sends what the socket takes now; -1 if the client is gone (and the connection closed). */
        private int sendNow(byte[] bytes, int from, int to) {
            int total = 0;
            while (from + total < to) {
                int chunk = Math.min(READ_CHUNK, to - from - total);
                MemorySegment.copy(bytes, from + total, buffer, ValueLayout.JAVA_BYTE, 0, chunk);
                long n;
                try {
                    n = UnixSocket.send(fd, buffer, chunk);
                } catch (OsException e) {
                    close();
                    return -1;
                }
                if (n < 0) break;
                total += (int) n;
                if (n < chunk) break;
            }
            return total;
        }

        private void queue(byte[] bytes, int from) {
            int length = bytes.length - from;
            if (outStart > 0 && outEnd + length > out.length) {
                System.arraycopy(out, outStart, out, 0, outEnd - outStart);
                outEnd -= outStart;
                outStart = 0;
            }
            if (outEnd + length > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, outEnd + length));
            }
            System.arraycopy(bytes, from, out, outEnd, length);
            outEnd += length;
        }

        private void flush() {
            if (outEnd == outStart) return;
            int sent = sendNow(out, outStart, outEnd);
            if (sent < 0) return;
            outStart += sent;
            if (outStart == outEnd) {
                outStart = outEnd = 0;
                if (out.length > READ_CHUNK) out = new byte[0];
                // Lines that arrived while the reply was pending are handled now.
                handleLines();
                closeIfDone();
            }
        }

        /** EPOLLIN only while input is wanted; EPOLLOUT only while output waits. HUP and ERR always come. */
        private void updateInterest() {
            int events = (wantsInput() ? Epoll.EPOLLIN : 0) | (outEnd > outStart ? Epoll.EPOLLOUT : 0);
            if (events == watched) return;
            try {
                registration.modify(events);
                watched = events;
            } catch (OsException e) {
                close();
            }
        }

        @Override
        public void hold() {
            held = true;
            if (open) updateInterest();
        }

        @Override
        public void resume() {
            if (!open || !held) return;
            held = false;
            handleLines();
            closeIfDone();
            if (open) updateInterest();
        }

        /** Closes a connection that was to end once everything owed to it is sent. */
        private void closeIfDone() {
            if (open && closeWhenFlushed && !held && !subscriber && outEnd == outStart) close();
        }

        @Override
        public void subscribe() {
            subscriber = true;
            held = false;
            lineStart = inLength = scanned = 0;
            if (open) updateInterest();
        }

        void close() {
            if (!open) return;
            open = false;
            registration.cancel();
            Fds.close(fd);
            connections.remove(this);
            handler.closed(this);
        }
    }
}
