package vigil.control;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import vigil.loop.EventLoop;
import vigil.loop.ReportLimiter;
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
 * No user but root can exhaust the daemon either ({@link ControlLimits}, kept by {@link ClientQuotas}):
 * <ul>
 *   <li>a uid's connections past its limit, and any past the limit for all users, are refused at once;
 *   <li>buffers grow only as lines need, and all users' together stay within one budget: a connection that
 *       would pass it is dropped;
 *   <li>each uid's requests go through a token bucket: past it, its connections are not read until tokens come
 *       back, so a flood costs the daemon nothing and the client just waits;
 *   <li>out of fds (EMFILE), the listener is unwatched until a connection closes or a short pause passes, so the
 *       loop never spins on accept. A reserve fd is given up for a moment to take one waiting client: root's is
 *       kept, anyone else's is told and closed.
 * </ul>
 * Root is subject to none of these limits: uid 0 always has a way in. Nor is the daemon's own user, whose daemon it
 * is when it is not root's.
 */
public final class ControlServer implements AutoCloseable {
    static final int READ_CHUNK = 16 * 1024;
    /** Events owed to one subscriber before it is dropped: thousands of events, a few hundred KB per client. */
    static final int SUBSCRIBER_BACKLOG = 256 * 1024;
    private static final int ACCEPTS_PER_TURN = 64;
    private static final int BACKLOG = 1024;
    /** A buffer's first allocation; it doubles from there as a line needs, up to a full line. */
    private static final int FIRST_BUFFER = 256;
    /** An idle connection's input buffer bigger than this is given back: a long line's memory is not kept. */
    private static final int KEPT_BUFFER = 4096;
    /** How long the listener rests when the daemon is out of fds, unless a connection closes first. */
    private static final Duration FD_SHORTAGE_PAUSE = Duration.ofMillis(200);
    /** Per uid, the refusals and drops said in full per interval; the rest are counted in one line. */
    private static final Duration COMPLAINT_INTERVAL = Duration.ofSeconds(10);
    private static final int COMPLAINTS_SAID = 3;
    private static final byte[] EMPTY = new byte[0];

    private final EventLoop loop;
    private final Path path;
    private final int listenFd;
    private final EventLoop.Registration listening;
    private final LineHandler handler;
    private final Consumer<String> say;
    private final Set<Connection> connections = new LinkedHashSet<>();
    /** One native buffer for every read and send: all of them happen on the loop thread. */
    private final MemorySegment buffer = Arena.ofAuto().allocate(READ_CHUNK);
    private final ClientQuotas quotas;
    private final ReportLimiter complaints;
    /** An fd on /dev/null held so that one can be freed to accept a client when the daemon is out of them; -1 if
     * it could not be had back yet. */
    private int reserveFd;
    /** Out of fds: the listener is not watched until {@link #acceptAgain}. */
    private boolean acceptPaused;
    private EventLoop.Timer acceptPause;
    private boolean closed;
    /** Subscribers dropped for leaving too many events unread, for the metrics; read from any thread. */
    private final AtomicLong droppedSubscribers = new AtomicLong();

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

    private ControlServer(EventLoop loop, Path path, int listenFd, LineHandler handler, Consumer<String> say,
                          ControlLimits limits) throws OsException {
        this.loop = loop;
        this.path = path;
        this.listenFd = listenFd;
        this.handler = handler;
        this.say = say;
        this.quotas = new ClientQuotas(limits, ControlPaths.currentUid());
        this.complaints = new ReportLimiter(COMPLAINT_INTERVAL, COMPLAINTS_SAID, loop::schedule,
                (about, unsaid, interval) -> say.accept("control: " + unsaid + " more like that about " + about
                        + " in the last " + interval.toSeconds() + " s"));
        this.reserveFd = openReserve();
        this.listening = loop.watch(listenFd, Epoll.EPOLLIN, events -> acceptSome());
    }

    /**
     * Listens on {@code path}, making its directory (0755) if needed. A socket file left by a daemon that is gone
     * is replaced; one with a live listener is not.
     *
     * @throws IOException naming the path: another daemon listens there, or it cannot be made
     */
    public static ControlServer open(EventLoop loop, Path path, LineHandler handler, Consumer<String> say,
                                     ControlLimits limits) throws IOException {
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
            return new ControlServer(loop, path, fd, handler, say, limits);
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
                                      Consumer<String> say, ControlLimits limits) throws OsException {
        return new ControlServer(loop, path, listenFd, handler, say, limits);
    }

    /** The listening socket, for {@code daemon-reexec}. */
    public int listenFd() {
        return listenFd;
    }

    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        if (!"socket".equals(kind(path))) {
            throw new FileSystemException(path.toString(), null, "exists and is not a socket");
        }
        int probe = UnixSocket.open(UnixSocket.SOCK_STREAM);
        try {
            UnixSocket.connect(probe, path);
            throw new FileSystemException(path.toString(), null, "another vigil daemon is listening there");
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
    /** How many event subscribers were dropped for not reading; thread-safe. */
    public long droppedSubscribers() {
        return droppedSubscribers.get();
    }

    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection and the listener, and removes the socket file. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        listening.cancel();
        if (acceptPause != null) acceptPause.cancel();
        Fds.close(listenFd);
        for (Connection c : List.copyOf(connections)) c.close();
        if (reserveFd >= 0) Fds.close(reserveFd);
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
                if (e.errno() != Errno.EMFILE && e.errno() != Errno.ENFILE) throw e;
                outOfFds(e);
                return;
            }
            if (fd < 0) return;
            UnixSocket.PeerCredentials peer = credentials(fd);
            if (peer != null) take(fd, peer);
        }
    }

    /** Who connected on {@code fd}; null (and the fd closed) if the kernel cannot say. */
    private UnixSocket.PeerCredentials credentials(int fd) {
        try {
            return UnixSocket.peerCredentials(fd);
        } catch (OsException e) {
            Fds.close(fd);
            say.accept("control: cannot take a connection: " + e.getMessage());
            return null;
        }
    }

    /** A connection just accepted: admitted if its uid is within its limits, else told why and closed. */
    private void take(int fd, UnixSocket.PeerCredentials peer) {
        Optional<String> refusal = quotas.admit(peer.uid(), System.nanoTime());
        if (refusal.isPresent()) {
            refuse(fd, peer, "refused a connection", refusal.get());
            return;
        }
        Connection c = new Connection(fd, peer);
        try {
            c.registration = loop.watch(fd, Epoll.EPOLLIN, c::readyOrClose);
        } catch (OsException e) {
            quotas.closed(peer.uid());
            Fds.close(fd);
            say.accept("control: cannot take a connection: " + e.getMessage());
            return;
        }
        connections.add(c);
    }

    /**
     * Out of fds, the waiting clients stay queued, and a level-triggered listener would wake the loop for them
     * again at once: a spin. So the listener rests until a connection closes or a short pause passes. Before it
     * does, the reserve fd is given up for one accept at a time, so the queue moves: root's connection is kept
     * (the reserve is had back once a connection closes), anyone else's is told and closed.
     */
    private void outOfFds(OsException shortage) {
        for (int i = 0; i < ACCEPTS_PER_TURN && reserveFd >= 0; i++) {
            Fds.close(reserveFd);
            reserveFd = -1;
            ReserveAccept taken = ReserveAccept.NONE;
            try {
                taken = acceptOnReserve();
            } finally {
                // Even if the accept threw: the reserve must be had back, or root's way in is lost.
                if (taken != ReserveAccept.ROOT_KEPT) reserveFd = openReserve();
            }
            if (taken != ReserveAccept.OTHER_REFUSED) break;
        }
        if (complaints.allow("file descriptors")) {
            say.accept("control: out of file descriptors (" + shortage.getMessage() + "); accepting only root's "
                    + "connections until some are free");
        }
        pauseAccepting();
    }

    /** What became of one accept on the fd the reserve gave up. */
    private enum ReserveAccept {
        /** Root's connection, which keeps the fd. */
        ROOT_KEPT,
        /** Someone else's, told and closed. */
        OTHER_REFUSED,
        /** None was waiting, or another thread took the fd first. */
        NONE
    }

    private ReserveAccept acceptOnReserve() {
        int fd;
        try {
            fd = UnixSocket.accept(listenFd);
        } catch (OsException e) {
            return ReserveAccept.NONE;
        }
        UnixSocket.PeerCredentials peer = fd < 0 ? null : credentials(fd);
        if (peer == null) return ReserveAccept.NONE;
        if (quotas.isExempt(peer.uid())) {
            take(fd, peer);
            return ReserveAccept.ROOT_KEPT;
        }
        refuse(fd, peer, "refused a connection", "the daemon is out of file descriptors");
        return ReserveAccept.OTHER_REFUSED;
    }

    private void pauseAccepting() {
        if (acceptPaused) return;
        try {
            listening.modify(0);
        } catch (OsException e) {
            say.accept("control: cannot pause the listener: " + e.getMessage());
            return;
        }
        acceptPaused = true;
        acceptPause = loop.schedule(FD_SHORTAGE_PAUSE, this::acceptAgain);
    }

    /** After a shortage of fds: a connection closed, or the pause is over. */
    private void acceptAgain() {
        if (closed) return;
        if (reserveFd < 0) reserveFd = openReserve();
        if (!acceptPaused) return;
        acceptPause.cancel();
        try {
            listening.modify(Epoll.EPOLLIN);
            acceptPaused = false;
        } catch (OsException e) {
            say.accept("control: cannot watch the listener again: " + e.getMessage());
        }
    }

    /** The reserve fd, or -1 while the daemon is out of fds. */
    private static int openReserve() {
        try {
            return Fds.open(Path.of("/dev/null"), Fds.O_RDONLY, 0);
        } catch (OsException e) {
            return -1;
        }
    }

    /**
     * Tells a client in one line why it is turned away, if its socket takes the line now (a refusal never waits),
     * and closes it. Said in the daemon's log too, a few times per interval per uid.
     */
    private void refuse(int fd, UnixSocket.PeerCredentials peer, String what, String why) {
        byte[] line = (Json.write(Protocol.error(null, Protocol.Error.BUSY, why)) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(line, 0, buffer, ValueLayout.JAVA_BYTE, 0, line.length);
        try {
            UnixSocket.send(fd, buffer, line.length);
        } catch (OsException gone) {
            // The client is gone: there is no one to tell.
        }
        Fds.close(fd);
        complain(peer, what + ": " + why);
    }

    private void complain(UnixSocket.PeerCredentials peer, String message) {
        if (complaints.allow("uid " + peer.uid())) {
            say.accept("control: " + message + " (uid " + peer.uid() + ", pid " + peer.pid() + ")");
        }
    }

    private final class Connection implements Client {
        final int fd;
        final UnixSocket.PeerCredentials peer;
        EventLoop.Registration registration;
        /** Allocated as lines need it, counted in the users' budget: an idle connection holds none. */
        byte[] in = EMPTY;
        int inLength;
        /** Where the next line starts in {@link #in}, and how far it was searched for a newline. */
        int lineStart, scanned;
        byte[] out = EMPTY;
        int outStart, outEnd;
        boolean held, subscriber, inputEnded, closeWhenFlushed, open = true;
        /** Out of request tokens: nothing is read or handled until {@link #unthrottle}. */
        EventLoop.Timer throttle;
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

        /**
         * Whatever a turn of this connection throws (a bug, or memory running out) ends this connection only: its
         * state is unknown, and closing it gives its buffers back. The loop reports what was thrown.
         */
        void readyOrClose(int events) {
            try {
                ready(events);
            } catch (Throwable t) {
                close();
                throw t;
            }
        }

        void ready(int events) {
            if ((events & Epoll.EPOLLOUT) != 0) flush();
            if (!open) return;
            if ((events & Epoll.EPOLLIN) != 0 && wantsInput()) read();
            else if ((events & (Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) close();
            if (open) updateInterest();
        }

        private boolean wantsInput() {
            return !inputEnded && !closeWhenFlushed
                    && (subscriber || (!held && throttle == null && outEnd == outStart));
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
                    if (!makeRoom(1)) return;
                    in[inLength++] = '\n';
                }
                handleLines();
                closeIfDone();
                return;
            }
            if (!makeRoom((int) n)) return;
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, in, inLength, (int) n);
            inLength += (int) n;
            handleLines();
        }

        /**
         * Room for {@code n} more bytes of input: handled lines are dropped from the front first, and the buffer
         * grows (to at most a full line and its newline) only if the users' budget allows. False if it does not:
         * the connection is then dropped.
         */
        private boolean makeRoom(int n) {
            if (lineStart > 0) {
                System.arraycopy(in, lineStart, in, 0, inLength - lineStart);
                inLength -= lineStart;
                scanned -= lineStart;
                lineStart = 0;
            }
            if (inLength + n <= in.length) return true;
            int size = Math.min(Math.max(Math.max(in.length * 2, FIRST_BUFFER), inLength + n), Protocol.MAX_LINE + 1);
            if (!quotas.grow(peer.uid(), size - in.length)) {
                dropOverBudget(size - in.length, true);
                return false;
            }
            in = Arrays.copyOf(in, size);
            return true;
        }

        /** Gives back an input buffer grown for a long line once no part of a line is waiting in it. */
        private void shrinkIdleInput() {
            if (lineStart != inLength || in.length <= KEPT_BUFFER) return;
            quotas.shrink(peer.uid(), in.length);
            in = EMPTY;
            inLength = lineStart = scanned = 0;
        }

        private void dropOverBudget(int wanted, boolean tell) {
            String why = "the daemon's buffers for users other than root are full (" + quotas.bufferBytes()
                    + " bytes held, " + wanted + " more wanted)";
            if (tell && outEnd == outStart) {
                byte[] line = (Json.write(Protocol.error(null, Protocol.Error.BUSY, why)) + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                sendNow(line, 0, line.length);
            }
            complain(peer, "dropped a connection: " + why);
            close();
        }

        /**
         * Hands complete lines over, one at a time, until one puts the connection on hold or leaves a reply to
         * send (the next request is read once the reply to the last one is sent), or the uid is out of request
         * tokens.
         */
        private void handleLines() {
            while (open && !held && !subscriber && throttle == null && outEnd == outStart) {
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
                    else shrinkIdleInput();
                    return;
                }
                int end = newline > lineStart && in[newline - 1] == '\r' ? newline - 1 : newline;
                scanned = newline;
                if (!isBlank(lineStart, end)) {
                    long wait = quotas.takeRequest(peer.uid(), System.nanoTime());
                    if (wait > 0) {
                        throttle = loop.schedule(Duration.ofNanos(wait), this::unthrottle);
                        return;
                    }
                }
                String line = new String(in, lineStart, end - lineStart, StandardCharsets.UTF_8);
                lineStart = newline + 1;
                scanned = lineStart;
                if (!line.isBlank()) handler.line(this, line);
            }
        }

        /** Whether in[from, to) is only whitespace: such a line is skipped and costs no request token. */
        private boolean isBlank(int from, int to) {
            for (int i = from; i < to; i++) if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r') return false;
            return true;
        }

        /** The uid has a request token again: the lines waiting are handled, and reading goes on. */
        private void unthrottle() {
            throttle = null;
            if (!open) return;
            handleLines();
            closeIfDone();
            if (open) updateInterest();
        }

        private void refuseLongLine() {
            send(Protocol.error(null, Protocol.Error.TOO_LONG,
                    "request line longer than " + Protocol.MAX_LINE + " bytes; closing the connection"));
            if (!open) return;
            quotas.shrink(peer.uid(), in.length);
            in = EMPTY;
            inLength = lineStart = scanned = 0;
            closeWhenFlushed = true;
            closeIfDone();
        }

        @Override
        public void send(Map<String, Object> message) {
            if (!open) return;
            byte[] bytes = (Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
            if (subscriber && (outEnd - outStart) + bytes.length > SUBSCRIBER_BACKLOG) {
                droppedSubscribers.incrementAndGet();
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
            if (sent < bytes.length && !queue(bytes, sent)) return;
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

        /** Keeps what the client has not taken yet, within the users' budget; false if it was dropped for it. */
        private boolean queue(byte[] bytes, int from) {
            int length = bytes.length - from;
            if (outStart > 0 && outEnd + length > out.length) {
                System.arraycopy(out, outStart, out, 0, outEnd - outStart);
                outEnd -= outStart;
                outStart = 0;
            }
            if (outEnd + length > out.length) {
                int size = Math.max(out.length * 2, outEnd + length);
                if (!quotas.grow(peer.uid(), size - out.length)) {
                    // Not told: part of a reply may have gone out, and a line after it would be garbled.
                    dropOverBudget(size - out.length, false);
                    return false;
                }
                out = Arrays.copyOf(out, size);
            }
            System.arraycopy(bytes, from, out, outEnd, length);
            outEnd += length;
            return true;
        }

        private void flush() {
            if (outEnd == outStart) return;
            int sent = sendNow(out, outStart, outEnd);
            if (sent < 0) return;
            outStart += sent;
            if (outStart == outEnd) {
                outStart = outEnd = 0;
                if (out.length > READ_CHUNK) {
                    quotas.shrink(peer.uid(), out.length);
                    out = EMPTY;
                }
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
            quotas.shrink(peer.uid(), in.length);
            in = EMPTY;
            lineStart = inLength = scanned = 0;
            if (open) updateInterest();
        }

        void close() {
            if (!open) return;
            open = false;
            registration.cancel();
            if (throttle != null) throttle.cancel();
            Fds.close(fd);
            connections.remove(this);
            quotas.shrink(peer.uid(), in.length + out.length);
            quotas.closed(peer.uid());
            in = out = EMPTY;
            handler.closed(this);
            acceptAgain();
        }
    }
}
