package vigil.unit;

import java.util.Optional;

/**
 * The {@code [Socket]} settings that become setsockopt(2) calls on each listening socket (systemd.socket(5)); an
 * empty value leaves the kernel's default.
 *
 * @param receiveBuffer {@code ReceiveBuffer=} in bytes (SO_RCVBUF)
 * @param ipTtl         {@code IPTTL=}: IP_TTL, or IPV6_UNICAST_HOPS on IPv6 sockets
 */
public record SocketOptions(boolean keepAlive, boolean noDelay, boolean transparent, Optional<Integer> receiveBuffer,
                            Optional<Integer> sendBuffer, Optional<Integer> mark, Optional<Integer> ipTos,
                            Optional<Integer> ipTtl) {
    static final SocketOptions DEFAULT = new SocketOptions(false, false, false, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());

    /** This with one assignment applied; false if {@code key} is not one of these settings. */
    static Optional<SocketOptions> set(SocketOptions o, String key, String value) throws InvalidValueException {
        boolean empty = value.isEmpty();
        return Optional.ofNullable(switch (key) {
            case "KeepAlive" -> new SocketOptions(!empty && Values.bool(value), o.noDelay, o.transparent,
                    o.receiveBuffer, o.sendBuffer, o.mark, o.ipTos, o.ipTtl);
            case "NoDelay" -> new SocketOptions(o.keepAlive, !empty && Values.bool(value), o.transparent,
                    o.receiveBuffer, o.sendBuffer, o.mark, o.ipTos, o.ipTtl);
            case "Transparent" -> new SocketOptions(o.keepAlive, o.noDelay, !empty && Values.bool(value),
                    o.receiveBuffer, o.sendBuffer, o.mark, o.ipTos, o.ipTtl);
            case "ReceiveBuffer" -> new SocketOptions(o.keepAlive, o.noDelay, o.transparent, buffer(value),
                    o.sendBuffer, o.mark, o.ipTos, o.ipTtl);
            case "SendBuffer" -> new SocketOptions(o.keepAlive, o.noDelay, o.transparent, o.receiveBuffer,
                    buffer(value), o.mark, o.ipTos, o.ipTtl);
            case "Mark" -> new SocketOptions(o.keepAlive, o.noDelay, o.transparent, o.receiveBuffer, o.sendBuffer,
                    number(value, Integer.MAX_VALUE), o.ipTos, o.ipTtl);
            case "IPTOS" -> new SocketOptions(o.keepAlive, o.noDelay, o.transparent, o.receiveBuffer, o.sendBuffer,
                    o.mark, tos(value), o.ipTtl);
            case "IPTTL" -> new SocketOptions(o.keepAlive, o.noDelay, o.transparent, o.receiveBuffer, o.sendBuffer,
                    o.mark, o.ipTos, number(value, 255));
            default -> null;
        });
    }

    private static Optional<Integer> buffer(String value) throws InvalidValueException {
        if (value.isEmpty()) return Optional.empty();
        long size = Values.size(value);
        if (size < 1 || size > Integer.MAX_VALUE) throw new InvalidValueException("buffer size out of range");
        return Optional.of((int) size);
    }

    private static Optional<Integer> number(String value, int max) throws InvalidValueException {
        return value.isEmpty() ? Optional.empty() : Optional.of((int) Values.integer(value, 0, max));
    }

    /** A number, or one of the names systemd takes (ip_tos_from_string). */
    private static Optional<Integer> tos(String value) throws InvalidValueException {
        return switch (value) {
            case "" -> Optional.empty();
            case "low-delay" -> Optional.of(0x10);
            case "throughput" -> Optional.of(0x08);
            case "reliability" -> Optional.of(0x04);
            case "low-cost" -> Optional.of(0x02);
            default -> number(value, 255);
        };
    }
}
