package vigil.http;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * Where {@code --http} listens: {@code 127.0.0.1:PORT}, {@code [::1]:PORT} (any literal address, never a name to
 * look up), or {@code unix:PATH}, where the caller's uid is known and the control socket's rules apply.
 */
public sealed interface HttpAddress {
    record Tcp(InetAddress address, int port) implements HttpAddress {
        /** The {@code struct sockaddr_in} or {@code sockaddr_in6} to bind, in the host's byte order where it asks. */
        byte[] sockaddr() {
            byte[] ip = address.getAddress();
            boolean v6 = address instanceof Inet6Address;
            byte[] s = new byte[v6 ? 28 : 16];
            s[0] = (byte) (v6 ? 10 : 2); // AF_INET6 or AF_INET, little-endian (x86-64 and aarch64 alike)
            s[2] = (byte) (port >> 8);
            s[3] = (byte) port;
            System.arraycopy(ip, 0, s, v6 ? 8 : 4, ip.length);
            return s;
        }

        @Override
        public String toString() {
            String host = address.getHostAddress();
            return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
        }
    }

    record Unix(Path path) implements HttpAddress {
        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code text} */
    static HttpAddress parse(String text) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new IllegalArgumentException("--http " + text + ": unix:PATH needs an absolute path");
            }
            return new Unix(Path.of(path));
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("--http " + text + ": expected 127.0.0.1:PORT, "
                + "[::1]:PORT or unix:PATH");
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) throw new IllegalArgumentException("--http " + text
                + ": an IPv6 address goes in brackets: [::1]:PORT");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--http " + text + ": the port must be 0 to 65535");
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--http " + text + ": " + host + " is not an IP address (names are "
                    + "not looked up)");
        }
        if (!(address instanceof Inet4Address) && !(address instanceof Inet6Address)) {
            throw new IllegalArgumentException("--http " + text + ": not an IP address");
        }
        return new Tcp(address, port);
    }
}
