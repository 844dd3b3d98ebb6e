package vigil.http;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Poll;
import vigil.os.Sockets;
import vigil.os.UnixSocket;
import vigil.os.UnixSocket.PeerCredentials;

/**
 * One accepted connection, served by one HTTP thread: non-blocking reads and writes, each wait bounded by a
 * deadline (poll), so that a client that sends slowly (slowloris) or reads slowly ends with its connection rather
 * than holding a thread for ever. The request's head has size limits: 8 KiB for the request line (414 beyond), 16
 * KiB for the whole head (431 beyond), so a 10 MB request line costs 8 KiB of reading.
 */
final class HttpConnection implements AutoCloseable {
    static final int MAX_REQUEST_LINE = 8 * 1024;
    static final int MAX_HEAD = 16 * 1024;
    static final int MAX_HEADERS = 64;
    /** Bodies are not used (actions carry everything in the path); a small one is read and dropped. */
    static final int MAX_BODY = 4 * 1024;

    private final int fd;
    private final Optional<PeerCredentials> peer;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment io = arena.allocate(MAX_HEAD);
    private final byte[] head = new byte[MAX_HEAD];
    /** Bytes in {@link #head} read but not yet taken: a pipelined request's start. */
    private int start, end;
    private boolean hungUp;

    HttpConnection(int fd, Optional<PeerCredentials> peer) {
        this.fd = fd;
        this.peer = peer;
    }

    /** Who connected over a unix socket (SO_PEERCRED); empty over TCP. */
    Optional<PeerCredentials> peer() {
        return peer;
    }

    /** Waits for a request to begin; false if none did before the deadline, or the client closed. */
    boolean awaitRequest(long deadlineNanos) throws IOException {
        if (end > start) return true;
        start = end = 0;
        try {
            return fill(deadlineNanos) > 0;
        } catch (Timeout e) {
            return false;
        }
    }

    /**
     * Reads one request head before {@code deadlineNanos} (a 408 after), and its small body if any.
     *
     * @throws HttpError for what the client gets a 4xx or 5xx for
     * @throws IOException when the client has gone: nothing to answer
     */
    HttpRequest readRequest(long deadlineNanos) throws HttpError, IOException {
        int headEnd;
        while ((headEnd = headEnd()) < 0) {
            if (end - start >= MAX_HEAD || end == head.length && start == 0) {
                if (lineEnd(start) < 0) throw new HttpError(414, "the request line is longer than "
                        + MAX_REQUEST_LINE + " bytes");
                throw new HttpError(431, "the request head is longer than " + MAX_HEAD + " bytes");
            }
            if (lineEnd(start) < 0 && end - start > MAX_REQUEST_LINE) {
                throw new HttpError(414, "the request line is longer than " + MAX_REQUEST_LINE + " bytes");
            }
            compact();
            if (fill(deadlineNanos) <= 0) throw new IOException("the client closed the connection");
        }
        int lineEnd = lineEnd(start);
        if (lineEnd - start > MAX_REQUEST_LINE) {
            throw new HttpError(414, "the request line is longer than " + MAX_REQUEST_LINE + " bytes");
        }
        String requestLine = text(start, lineEnd);
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new HttpError(400, "a malformed request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new HttpError(505, "only HTTP/1.1 and HTTP/1.0 are served");
        }
        Map<String, String> headers = new HashMap<>();
        int at = next(lineEnd);
        while (at < headEnd) {
            int e = lineEnd(at);
            String line = text(at, e);
            at = next(e);
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new HttpError(400, "a malformed header line");
            if (headers.size() == MAX_HEADERS) throw new HttpError(431, "more than " + MAX_HEADERS + " headers");
            headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
        start = headEnd;
        String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        boolean keepAlive = parts[2].equals("HTTP/1.1") ? !connection.contains("close")
                : connection.contains("keep-alive");
        if (headers.containsKey("transfer-encoding")) {
            throw new HttpError(501, "Transfer-Encoding is not taken: send a Content-Length");
        }
        long length = contentLength(headers);
        if (length > MAX_BODY) throw new HttpError(413, "a body of more than " + MAX_BODY + " bytes");
        skipBody((int) length, deadlineNanos);
        return new HttpRequest(parts[0], RequestTarget.segments(parts[1]), headers, keepAlive);
    }

    /** Writes all of {@code bytes} before the deadline; IOException if the client is gone or too slow to read. */
    void write(byte[] bytes, long deadlineNanos) throws IOException {
        int done = 0;
        while (done < bytes.length) {
            int n = Math.min(bytes.length - done, (int) io.byteSize());
            MemorySegment.copy(bytes, done, io, ValueLayout.JAVA_BYTE, 0, n);
            long sent;
            try {
                sent = UnixSocket.send(fd, io, n);
                if (sent < 0) {
                    if (!Poll.writable(fd, remainingMillis(deadlineNanos))) {
                        throw new IOException("the client did not read in time");
                    }
                    continue;
                }
            } catch (OsException e) {
                hungUp = true;
                throw new IOException(e.getMessage());
            }
            done += (int) sent;
        }
    }

    /**
     * After an error that ends the connection: reads and drops what the client still sends, for a short while,
     * so that closing with unread bytes does not reset the connection before the client has read the answer.
     */
    void drain(long deadlineNanos) {
        try {
            long total = 0;
            while (total < 64L * 1024 * 1024) {
                long n = Fds.read(fd, io, io.byteSize());
                if (n == 0) return;
                if (n < 0) {
                    if (!Poll.readable(fd, remainingMillis(deadlineNanos))) return;
                    continue;
                }
                total += n;
            }
        } catch (OsException e) {
            // Gone: nothing left to drain.
        }
    }

    /** For a long stream: a client that stops reading shows after this much, not after the kernel's default. */
    void shrinkSendBuffer(int bytes) {
        try {
            Sockets.setOption(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, bytes);
        } catch (OsException e) {
            // The default buffer only makes a reader that stops take longer to find out.
        }
    }

    /** Whether the last write failed because the client went away (rather than did not read in time). */
    boolean hungUp() {
        return hungUp;
    }

    @Override
    public void close() {
        Fds.close(fd);
        arena.close();
    }

    /** Reads what there is into the head buffer, waiting until the deadline: the count, 0 at EOF. */
    private int fill(long deadlineNanos) throws IOException {
        try {
            while (true) {
                int room = head.length - end;
                long n = Fds.read(fd, io, room);
                if (n >= 0) {
                    MemorySegment.copy(io, ValueLayout.JAVA_BYTE, 0, head, end, (int) n);
                    end += (int) n;
                    return (int) n;
                }
                if (!Poll.readable(fd, remainingMillis(deadlineNanos))) throw new Timeout();
            }
        } catch (OsException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** The deadline passed while reading. */
    static final class Timeout extends IOException {
        Timeout() {
            super("timed out");
        }
    }

    private void skipBody(int length, long deadlineNanos) throws IOException {
        int left = length;
        while (left > 0) {
            int have = Math.min(left, end - start);
            start += have;
            left -= have;
            if (left == 0) break;
            start = end = 0;
            if (fill(deadlineNanos) <= 0) throw new IOException("the client closed the connection");
        }
    }

    private static long contentLength(Map<String, String> headers) throws HttpError {
        String value = headers.get("content-length");
        if (value == null) return 0;
        try {
            long length = Long.parseLong(value);
            if (length < 0) throw new NumberFormatException();
            return length;
        } catch (NumberFormatException e) {
            throw new HttpError(400, "a bad Content-Length");
        }
    }

    private void compact() {
        if (start == 0) return;
        System.arraycopy(head, start, head, 0, end - start);
        end -= start;
        start = 0;
    }

    /** Where the head ends (after its blank line), or -1 if it has not all arrived. */
    private int headEnd() {
        int at = start;
        while (at < end) {
            int e = lineEnd(at);
            if (e < 0) return -1;
            if (e == at || (e == at + 1 && head[at] == '\r')) return next(e);
            at = next(e);
        }
        return -1;
    }

    /** The index of the LF ending the line at {@code from} (its CR excluded by {@link #text}), or -1. */
    private int lineEnd(int from) {
        for (int i = from; i < end; i++) if (head[i] == '\n') return i;
        return -1;
    }

    private static int next(int lineEnd) {
        return lineEnd + 1;
    }

    private String text(int from, int lf) {
        int to = lf > from && head[lf - 1] == '\r' ? lf - 1 : lf;
        return new String(head, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, (deadlineNanos - System.nanoTime() + 999_999) / 1_000_000);
    }
}
