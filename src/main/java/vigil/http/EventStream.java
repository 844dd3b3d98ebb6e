package vigil.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import vigil.control.Json;
import vigil.os.UnixSocket.PeerCredentials;

/**
 * {@code /events}: server-sent events, one {@code data:} line per event of the control socket's stream (what
 * {@code vigil events} prints), and a comment every {@link #KEEPALIVE} so that proxies keep the connection. A
 * client that does not read is dropped, and counted: its backlog is bounded in the bridge, and each write has a
 * deadline here.
 */
final class EventStream {
    static final Duration KEEPALIVE = Duration.ofSeconds(15);
    /** Streams at once: half the HTTP threads, so that streams never starve the probes and the metrics. */
    static final int MAX_STREAMS = HttpServer.WORKERS / 2;
    /** A small send buffer: a client that stops reading is found out after a few KiB, not megabytes. */
    static final int SEND_BUFFER = 16 * 1024;

    private final LoopBridge bridge;
    private final Semaphore slots = new Semaphore(MAX_STREAMS);

    EventStream(LoopBridge bridge) {
        this.bridge = bridge;
    }

    /** Streams until the client goes, is dropped, or the server closes; empty: the response was the stream. */
    Optional<HttpResponse> serve(HttpConnection connection, PeerCredentials reader) throws IOException {
        if (!slots.tryAcquire()) {
            return Optional.of(HttpResponse.text(503, "too many event streams; try again later")
                    .with("Retry-After", "5"));
        }
        try (LoopBridge.Stream stream = bridge.subscribe(reader, Duration.ofSeconds(2))) {
            connection.shrinkSendBuffer(SEND_BUFFER);
            connection.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                    + "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
                    + "retry: 2000\n: following the daemon's events\n\n").getBytes(StandardCharsets.UTF_8),
                    deadline());
            while (!stream.dropped()) {
                Optional<Map<String, Object>> event = stream.next(KEEPALIVE);
                if (stream.dropped()) break;
                String chunk = event.map(e -> "data: " + Json.write(e) + "\n\n").orElse(": keep-alive\n\n");
                try {
                    connection.write(chunk.getBytes(StandardCharsets.UTF_8), deadline());
                } catch (IOException e) {
                    // Gone, or not reading: a client that stopped reading is one more dropped subscriber.
                    if (!connection.hungUp()) stream.drop();
                    throw e;
                }
            }
            return Optional.empty();
        } catch (LoopBridge.Busy e) {
            return Optional.of(HttpResponse.text(503, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            slots.release();
        }
    }

    private static long deadline() {
        return System.nanoTime() + HttpServer.WRITE_TIMEOUT.toNanos();
    }
}
