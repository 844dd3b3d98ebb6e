package vigil.unit;

import java.util.Objects;
import java.util.Optional;

/**
 * One {@code Listen*=} entry of a socket unit (systemd.socket(5)).
 *
 * @param kind    which directive it came from
 * @param address the parsed address for socket kinds; a path for FIFOs, special files, message queues and USB
 *                functions
 */
public record Listen(Kind kind, Address address) {
    public Listen {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(address, "address");
    }

    /** The {@code Listen*=} directives. */
    public enum Kind {
        STREAM("ListenStream"), DATAGRAM("ListenDatagram"), SEQUENTIAL_PACKET("ListenSequentialPacket"),
        FIFO("ListenFIFO"), SPECIAL("ListenSpecial"), NETLINK("ListenNetlink"),
        MESSAGE_QUEUE("ListenMessageQueue"), USB_FUNCTION("ListenUSBFunction");

        private final String directive;

        Kind(String directive) {
            this.directive = directive;
        }

        public String directive() {
            return directive;
        }

        static Optional<Kind> forDirective(String key) {
            for (Kind k : values()) {
                if (k.directive.equals(key)) return Optional.of(k);
            }
            return Optional.empty();
        }
    }

    /** Where to listen. */
    public sealed interface Address {}

    /** A file system path: a socket, FIFO, special file or message queue. */
    public record PathAddress(String path) implements Address {}

    /** {@code @name}: a socket in the abstract namespace (the name without the {@code @}). */
    public record AbstractAddress(String name) implements Address {}

    /**
     * An IP socket. {@code host} is empty for a bare port (all addresses, dual-stack); {@code interfaceName} is the
     * {@code %eth0} suffix of a link-local IPv6 address.
     */
    public record InetAddress(Optional<String> host, int port, Optional<String> interfaceName) implements Address {}

    /** {@code vsock:CID:PORT}; an empty cid means any. */
    public record VsockAddress(String cid, int port) implements Address {}

    /** {@code ListenNetlink=FAMILY [GROUP]}. */
    public record NetlinkAddress(String family, int group) implements Address {}

    static Listen parse(Kind kind, String value) throws InvalidValueException {
        return new Listen(kind, switch (kind) {
            case STREAM, DATAGRAM, SEQUENTIAL_PACKET -> socketAddress(kind, value);
            case NETLINK -> netlink(value);
            case FIFO, SPECIAL, MESSAGE_QUEUE, USB_FUNCTION -> new PathAddress(Values.absolutePath(value));
        });
    }

    private static Address socketAddress(Kind kind, String value) throws InvalidValueException {
        if (value.startsWith("/")) {
            if (value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
                throw new InvalidValueException("socket path '" + value + "' is longer than 107 bytes");
            }
            return new PathAddress(Values.absolutePath(value));
        }
        if (value.startsWith("@")) {
            if (value.length() < 2 || value.length() > 108) throw new InvalidValueException("bad abstract name");
            return new AbstractAddress(value.substring(1));
        }
        if (kind == Kind.SEQUENTIAL_PACKET) {
            throw new InvalidValueException("ListenSequentialPacket= takes only AF_UNIX addresses");
        }
        if (value.startsWith("vsock:")) {
            int colon = value.lastIndexOf(':');
            if (colon <= 5) throw new InvalidValueException("'" + value + "' is not vsock:CID:PORT");
            return new VsockAddress(value.substring(6, colon), port(value.substring(colon + 1), value));
        }
        if (value.chars().allMatch(Character::isDigit)) {
            return new InetAddress(Optional.empty(), port(value, value), Optional.empty());
        }
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw new InvalidValueException("'" + value + "' is not [ADDRESS]:PORT");
            }
            String host = value.substring(1, close);
            String rest = value.substring(close + 2);
            Optional<String> iface = Optional.empty();
            int percent = host.indexOf('%');
            if (percent >= 0) {
                iface = Optional.of(host.substring(percent + 1));
                host = host.substring(0, percent);
            }
            percent = rest.indexOf('%');
            if (percent >= 0) {
                iface = Optional.of(rest.substring(percent + 1));
                rest = rest.substring(0, percent);
            }
            if (!host.contains(":") || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':'
                    || c == '.')) {
                throw new InvalidValueException("'" + host + "' is not an IPv6 address");
            }
            return new InetAddress(Optional.of(host), port(rest, value), iface);
        }
        int colon = value.lastIndexOf(':');
        if (colon > 0 && isIpv4(value.substring(0, colon))) {
            return new InetAddress(Optional.of(value.substring(0, colon)), port(value.substring(colon + 1), value),
                    Optional.empty());
        }
        throw new InvalidValueException("'" + value + "' is not a socket address (PATH, @NAME, PORT, IPV4:PORT, "
                + "[IPV6]:PORT or vsock:CID:PORT)");
    }

    private static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) return false;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private static int port(String text, String value) throws InvalidValueException {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
            throw new InvalidValueException("bad port in '" + value + "'");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) throw new InvalidValueException("port " + port + " is out of range 1..65535");
        return port;
    }

    private static NetlinkAddress netlink(String value) throws InvalidValueException {
        var words = Words.splitPlain(value);
        if (words.isEmpty() || words.size() > 2) {
            throw new InvalidValueException("'" + value + "' is not FAMILY [GROUP]");
        }
        int group = words.size() == 2 ? (int) Values.integer(words.get(1), 0, Integer.MAX_VALUE) : 0;
        return new NetlinkAddress(words.get(0), group);
    }
}
