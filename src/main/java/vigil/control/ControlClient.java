package vigil.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The client side of the control socket: send a request line, read reply (or event) lines. Built on the JDK's
 * own unix-domain {@link SocketChannel} rather than the FFM bindings the daemon uses: a short-lived CLI starts
 * faster without linking native calls. Blocking, one thread.
 */
public final class ControlClient implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private byte[] line = new byte[4096];
    private int lineLength;
    private long nextId = 1;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        in.flip();
    }

    /** Connects; an {@link IOException} says why not (no daemon, no permission). */
    public static ControlClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new ControlClient(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** A request of {@code cmd} with the version and a fresh id; add fields and {@link #call} it. */
    public Map<String, Object> request(String cmd) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("v", (long) Protocol.VERSION);
        request.put("id", nextId++);
        request.put("cmd", cmd);
        return request;
    }

    /** Sends the request and returns its reply. */
    public Map<String, Object> call(Map<String, Object> request) throws IOException {
        send(request);
        Optional<Map<String, Object>> reply = read();
        if (reply.isEmpty()) throw new IOException("the daemon closed the connection without a reply");
        return reply.get();
    }

    public void send(Map<String, Object> request) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) channel.write(out);
    }

    /** The next line from the daemon as a JSON object; empty once the daemon closed the connection. */
    @SuppressWarnings("unchecked")
    public Optional<Map<String, Object>> read() throws IOException {
        lineLength = 0;
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
                    try {
                        Object json = Json.parse(text);
                        if (json instanceof Map<?, ?> map) return Optional.of((Map<String, Object>) map);
                        throw new IOException("the daemon sent something other than a JSON object: " + text);
                    } catch (Json.ParseException e) {
                        throw new IOException("the daemon sent malformed JSON: " + e.getMessage(), e);
                    }
                }
                if (lineLength == line.length) line = Arrays.copyOf(line, line.length * 2);
                line[lineLength++] = b;
            }
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
