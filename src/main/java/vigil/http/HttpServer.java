package vigil.http;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Poll;
import vigil.os.Sockets;
import vigil.os.UnixSocket;
import vigil.os.UnixSocket.PeerCredentials;

/**
 * A small HTTP/1.1 server on threads of its own, never the event loop's: one thread accepts, a bounded pool of
 * {@link #WORKERS} platform threads serves one connection each (FFM calls would pin a virtual thread's carrier
 * anyway). A connection beyond them gets a 503 from the accepting thread and is closed; every read and write has
 * a deadline, so neither a slow sender nor a slow reader holds a thread for long.
 */
final class HttpServer implements AutoCloseable {
    /** Connections served at once; the rest get 503 at once. Event streams take at most half of them. */
    static final int WORKERS = 32;
    /** From the accept, how long the first request's head may take to arrive whole (slowloris ends here). */
    static final Duration HEAD_TIMEOUT = Duration.ofSeconds(5);
    /** How long a kept-alive connection may sit idle between requests. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);
    /** How long one response may take to be read by the client. */
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] BUSY = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 33\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            + "too many connections; try again\r\n").getBytes(StandardCharsets.ISO_8859_1);

    /** What serves one request; writes the response itself only for a stream (and then returns empty). */
    interface Handler {
        Optional<HttpResponse> handle(HttpRequest request, HttpConnection connection) throws HttpError, IOException;
    }

    private final int listenFd;
    private final boolean unix;
    private final Handler handler;
    private final Consumer<String> say;
    private final ThreadPoolExecutor workers;
    private final Thread acceptor;
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean closed;

    private HttpServer(int listenFd, boolean unix, Handler handler, Consumer<String> say) {
        this.listenFd = listenFd;
        this.unix = unix;
        this.handler = handler;
        this.say = say;
        this.workers = new ThreadPoolExecutor(0, WORKERS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                Thread.ofPlatform().name("vigil-http-", 0).daemon().factory());
        this.acceptor = Thread.ofPlatform().name("vigil-http-accept").daemon().unstarted(this::acceptLoop);
    }

    static HttpServer start(int listenFd, boolean unix, Handler handler, Consumer<String> say) {
        HttpServer server = new HttpServer(listenFd, unix, handler, say);
        server.acceptor.start();
        return server;
    }

    /** Connections turned away with a 503 because every worker was busy. */
    long rejected() {
        return rejected.get();
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Fds.close(listenFd);
    }

    private void acceptLoop() {
        while (!closed) {
            int fd;
            try {
                // Woken twice a second to see whether the server was closed: close() does not wake an accept.
                if (!Poll.readable(listenFd, 500)) continue;
                fd = accept();
            } catch (OsException e) {
                say.accept("http: accept failed: " + e.getMessage());
                pause();
                continue;
            }
            if (fd < 0) continue;
            try {
                workers.execute(() -> serve(fd));
            } catch (RejectedExecutionException e) {
                rejected.incrementAndGet();
                turnAway(fd);
            }
        }
    }

    /** A non-blocking connection, or -1. */
    private int accept() throws OsException {
        if (unix) return UnixSocket.accept(listenFd);
        Sockets.Accepted accepted = Sockets.accept(listenFd);
        if (accepted == null) return -1;
        Fds.setNonBlocking(accepted.fd(), true);
        return accepted.fd();
    }

    /** A short 503, written without waiting: a fresh connection's send buffer takes it whole. */
    private static void turnAway(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(BUSY.length);
            MemorySegment.copy(BUSY, 0, buffer, ValueLayout.JAVA_BYTE, 0, BUSY.length);
            UnixSocket.send(fd, buffer, BUSY.length);
        } catch (OsException e) {
            // The client is gone already.
        } finally {
            Fds.close(fd);
        }
    }

    private void serve(int fd) {
        Optional<PeerCredentials> peer = Optional.empty();
        if (unix) {
            try {
                peer = Optional.of(UnixSocket.peerCredentials(fd));
            } catch (OsException e) {
                Fds.close(fd);
                return;
            }
        }
        try (HttpConnection connection = new HttpConnection(fd, peer)) {
            long waitUntil = System.nanoTime() + HEAD_TIMEOUT.toNanos();
            boolean first = true;
            while (!closed) {
                if (!connection.awaitRequest(waitUntil)) {
                    if (first) send(connection, HttpResponse.text(408, "no request came in time"), true);
                    return;
                }
                long headDeadline = first ? waitUntil : System.nanoTime() + HEAD_TIMEOUT.toNanos();
                first = false;
                HttpRequest request;
                try {
                    request = connection.readRequest(headDeadline);
                } catch (HttpError e) {
                    send(connection, HttpResponse.text(e.status(), e.getMessage()), true);
                    connection.drain(System.nanoTime() + Duration.ofSeconds(1).toNanos());
                    return;
                } catch (HttpConnection.Timeout e) {
                    send(connection, HttpResponse.text(408, "the request did not arrive whole in time"), true);
                    return;
                }
                requests.incrementAndGet();
                Optional<HttpResponse> response;
                try {
                    response = handler.handle(request, connection);
                } catch (HttpError e) {
                    response = Optional.of(HttpResponse.text(e.status(), e.getMessage()));
                } catch (RuntimeException e) {
                    say.accept("http: internal error on " + request.method() + " /" + String.join("/",
                            request.path()) + ": " + e);
                    response = Optional.of(HttpResponse.text(500, "internal error"));
                }
                if (response.isEmpty()) return;
                send(connection, response.get(), !request.keepAlive());
                if (!request.keepAlive()) return;
                waitUntil = System.nanoTime() + IDLE_TIMEOUT.toNanos();
            }
        } catch (IOException e) {
            // The client went away, or was too slow: its connection ends, nothing else is touched.
        }
    }

    private static void send(HttpConnection connection, HttpResponse response, boolean close) throws IOException {
        long deadline = System.nanoTime() + WRITE_TIMEOUT.toNanos();
        connection.write(response.head(close), deadline);
        connection.write(response.body(), deadline);
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
