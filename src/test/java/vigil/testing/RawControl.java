package vigil.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import vigil.control.Json;

/** A bare control-socket connection for tests: write any bytes, read reply lines as parsed JSON objects. */
public final class RawControl implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16).flip();

    public RawControl(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
    }

    public SocketChannel channel() {
        return channel;
    }

    public void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    public void write(byte[] bytes) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining()) channel.write(out);
    }

    /** The next line, or null at end of file (or when the daemon reset the connection after its last line). */
    public String readLine() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') return bytes.toString(StandardCharsets.UTF_8);
                bytes.write(b);
            }
            in.clear();
            int n;
            try {
                n = channel.read(in);
            } catch (IOException reset) {
                n = -1;
            }
            in.flip();
            if (n < 0) return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> readJson() throws IOException {
        String text = readLine();
        if (text == null) return null;
        try {
            return (Map<String, Object>) Json.parse(text);
        } catch (Json.ParseException e) {
            throw new IOException("not JSON: " + text, e);
        }
    }

    /** Sends one request line and returns the reply. */
    public Map<String, Object> call(String json) throws IOException {
        write(json + "\n");
        return readJson();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
