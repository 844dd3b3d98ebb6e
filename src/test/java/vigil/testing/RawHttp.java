package vigil.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bare HTTP/1.1 client over loopback for tests of {@code --http}: one request per connection, written exactly
 * as given (so that a test can send what no client library would), the response read to its end.
 */
public final class RawHttp {
    private RawHttp() {}

    public record Response(int status, Map<String, String> headers, String body) {}

    /** The port of the daemon's {@code http: serving ... on 127.0.0.1:PORT} line. */
    public static int port(DaemonProcess daemon) {
        String line = daemon.awaitLine("http: serving .* on 127\\.0\\.0\\.1:\\d+.*", java.time.Duration.ofSeconds(30));
        Matcher m = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(line);
        if (!m.find()) throw new IllegalStateException(line);
        return Integer.parseInt(m.group(1));
    }

    public static Response get(int port, String path) throws IOException {
        return send(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    }

    public static Response post(int port, String path, String token) throws IOException {
        return send(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 0\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Connection: close\r\n\r\n");
    }

    /** Sends {@code raw} and reads the response until the server closes, within 20 s. */
    public static Response send(int port, String raw) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            return read(socket.getInputStream());
        }
    }

    /** Parses a response read to EOF. */
    public static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return parse(all.toString(StandardCharsets.UTF_8));
    }

    public static Response parse(String text) {
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) throw new IllegalStateException("not a response: " + text);
        String[] lines = text.substring(0, headEnd).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        return new Response(Integer.parseInt(lines[0].substring(9, 12)), headers, text.substring(headEnd + 4));
    }
}
