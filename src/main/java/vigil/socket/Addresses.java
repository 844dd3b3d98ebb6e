package vigil.socket;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import vigil.os.Sockets;
import vigil.unit.InvalidValueException;
import vigil.unit.Listen;

/**
 * {@code Listen*=} addresses as {@code struct sockaddr} bytes, and peers' addresses back as text. The socket layouts
 * are Linux's on little-endian 64-bit machines: the family in host order, ports in network order.
 */
final class Addresses {
    private Addresses() {}

    /** The netlink families systemd's ListenNetlink= knows by name (netlink_family_from_string). */
    private static final Map<String, Integer> NETLINK = Map.ofEntries(Map.entry("route", 0),
            Map.entry("usersock", 2), Map.entry("firewall", 3), Map.entry("sock_diag", 4), Map.entry("nflog", 5),
            Map.entry("xfrm", 6), Map.entry("selinux", 7), Map.entry("iscsi", 8), Map.entry("audit", 9),
            Map.entry("fib_lookup", 10), Map.entry("connector", 11), Map.entry("netfilter", 12),
            Map.entry("ip6_fw", 13), Map.entry("dnrtmsg", 14), Map.entry("kobject_uevent", 15),
            Map.entry("generic", 16), Map.entry("scsitransport", 18), Map.entry("ecryptfs", 19),
            Map.entry("rdma", 20), Map.entry("crypto", 21));

    private static final int VMADDR_CID_ANY = -1;

    /**
     * The endpoint of one socket {@code Listen*=} (stream, datagram, sequential packet or netlink).
     *
     * @throws InvalidValueException if the address cannot be used (an unknown netlink family, a bad host)
     */
    static Endpoint of(Listen listen, String text) throws InvalidValueException {
        int type = switch (listen.kind()) {
            case STREAM -> Sockets.SOCK_STREAM;
            case DATAGRAM -> Sockets.SOCK_DGRAM;
            case SEQUENTIAL_PACKET -> Sockets.SOCK_SEQPACKET;
            case NETLINK -> Sockets.SOCK_RAW;
            default -> throw new IllegalArgumentException(listen.kind() + " is not a socket");
        };
        return switch (listen.address()) {
            case Listen.PathAddress p -> new Endpoint(Sockets.AF_UNIX, type, 0, unix(p.path().getBytes(
                    StandardCharsets.UTF_8), false), text, Optional.of(p.path()));
            case Listen.AbstractAddress a -> new Endpoint(Sockets.AF_UNIX, type, 0,
                    unix(a.name().getBytes(StandardCharsets.UTF_8), true), text, Optional.empty());
            case Listen.InetAddress in -> inet(in, type, text);
            case Listen.VsockAddress v -> new Endpoint(Sockets.AF_VSOCK, type, 0, vsock(v), text, Optional.empty());
            case Listen.NetlinkAddress n -> {
                Integer protocol = NETLINK.get(n.family().replace('-', '_'));
                if (protocol == null) throw new InvalidValueException("unknown netlink family '" + n.family() + "'");
                ByteBuffer b = buffer(12);
                b.putShort((short) Sockets.AF_NETLINK).putShort((short) 0).putInt(0).putInt(n.group());
                yield new Endpoint(Sockets.AF_NETLINK, type, protocol, b.array(), text, Optional.empty());
            }
        };
    }

    private static byte[] unix(byte[] name, boolean abstractName) {
        // Abstract: a NUL, then exactly the name (its length is the address's); a path ends in its NUL.
        ByteBuffer b = buffer(2 + 1 + name.length);
        b.putShort((short) Sockets.AF_UNIX);
        if (abstractName) b.put((byte) 0);
        b.put(name);
        return b.array();
    }

    private static Endpoint inet(Listen.InetAddress in, int type, String text) throws InvalidValueException {
        if (in.host().isEmpty()) {
            // A port alone: IPv6's any address, which takes IPv4 too unless BindIPv6Only=ipv6-only.
            return new Endpoint(Sockets.AF_INET6, type, 0, inet6(new byte[16], in.port(), 0), text,
                    Optional.empty());
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(in.host().get());
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException("'" + in.host().get() + "' is not an IP address");
        }
        if (address instanceof Inet4Address v4) {
            ByteBuffer b = buffer(16);
            b.putShort((short) Sockets.AF_INET).order(ByteOrder.BIG_ENDIAN).putShort((short) in.port())
                    .put(v4.getAddress());
            return new Endpoint(Sockets.AF_INET, type, 0, b.array(), text, Optional.empty());
        }
        int scope = 0;
        if (in.interfaceName().isPresent()) {
            try {
                var nif = java.net.NetworkInterface.getByName(in.interfaceName().get());
                if (nif == null) throw new InvalidValueException("no interface " + in.interfaceName().get());
                scope = nif.getIndex();
            } catch (java.net.SocketException e) {
                throw new InvalidValueException("interface " + in.interfaceName().get() + ": " + e.getMessage());
            }
        }
        return new Endpoint(Sockets.AF_INET6, type, 0, inet6(((Inet6Address) address).getAddress(), in.port(), scope),
                text, Optional.empty());
    }

    private static byte[] inet6(byte[] address, int port, int scope) {
        ByteBuffer b = buffer(28);
        b.putShort((short) Sockets.AF_INET6).order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0)
                .put(address).order(ByteOrder.LITTLE_ENDIAN).putInt(scope);
        return b.array();
    }

    private static byte[] vsock(Listen.VsockAddress v) throws InvalidValueException {
        int cid;
        if (v.cid().isEmpty()) {
            cid = VMADDR_CID_ANY;
        } else {
            try {
                cid = Integer.parseUnsignedInt(v.cid());
            } catch (NumberFormatException e) {
                throw new InvalidValueException("'" + v.cid() + "' is not a vsock CID");
            }
        }
        ByteBuffer b = buffer(16);
        b.putShort((short) Sockets.AF_VSOCK).putShort((short) 0).putInt(v.port()).putInt(cid);
        return b.array();
    }

    private static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A peer's (or local) address: the host as text and the port, for REMOTE_ADDR and instance names. */
    record Peer(int family, String host, int port) {
        /** systemd's form in instance names: {@code 1.2.3.4:80}; IPv6 without brackets. */
        String hostPort() {
            return host + ":" + port;
        }
    }

    /** The address in a {@code struct sockaddr} from accept(2) or getsockname(2); empty for other families. */
    static Optional<Peer> peer(byte[] sockaddr) {
        if (sockaddr.length < 2) return Optional.empty();
        ByteBuffer b = ByteBuffer.wrap(sockaddr).order(ByteOrder.LITTLE_ENDIAN);
        int family = b.getShort(0) & 0xffff;
        try {
            if (family == Sockets.AF_INET && sockaddr.length >= 8) {
                int port = b.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
                byte[] a = new byte[4];
                System.arraycopy(sockaddr, 4, a, 0, 4);
                return Optional.of(new Peer(family, InetAddress.getByAddress(a).getHostAddress(), port));
            }
            if (family == Sockets.AF_INET6 && sockaddr.length >= 24) {
                int port = b.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
                byte[] a = new byte[16];
                System.arraycopy(sockaddr, 8, a, 0, 16);
                // A v4-mapped peer (::ffff:1.2.3.4) of a dual-stack socket is shown as IPv4, as systemd does.
                InetAddress address = InetAddress.getByAddress(a);
                String host = address instanceof Inet4Address v4 ? v4.getHostAddress()
                        : compact((Inet6Address) address);
                return Optional.of(new Peer(address instanceof Inet4Address ? Sockets.AF_INET : family, host, port));
            }
            if (family == Sockets.AF_VSOCK && sockaddr.length >= 12) {
                return Optional.of(new Peer(family, Integer.toUnsignedString(b.getInt(8)), b.getInt(4)));
            }
        } catch (java.net.UnknownHostException impossible) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** inet_ntop's form: the longest run of zero groups as {@code ::}. */
    private static String compact(Inet6Address address) {
        String full = address.getHostAddress();
        int percent = full.indexOf('%');
        if (percent >= 0) full = full.substring(0, percent);
        String[] groups = full.split(":");
        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < groups.length; ) {
            if (!groups[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < groups.length && groups[j].equals("0")) j++;
            if (j - i > bestLength && j - i > 1) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (bestStart < 0) return full;
        String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }
}
