package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.os.Sockets;
import vigil.unit.InvalidValueException;
import vigil.unit.Listen;

class AddressesTest {
    private static Endpoint endpoint(Listen.Kind kind, Listen.Address address) throws InvalidValueException {
        Listen listen = new Listen(kind, address);
        return Addresses.of(listen, Binder.text(listen));
    }

    @Test
    void ipv4HasItsPortInNetworkOrder() throws Exception {
        Endpoint e = endpoint(Listen.Kind.STREAM, new Listen.InetAddress(Optional.of("127.0.0.1"), 8080,
                Optional.empty()));
        assertEquals(Sockets.AF_INET, e.family());
        assertEquals(Sockets.SOCK_STREAM, e.type());
        assertArrayEquals(new byte[] {2, 0, 0x1f, (byte) 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, e.sockaddr());
        assertEquals("127.0.0.1:8080", e.text());
    }

    @Test
    void aPortAloneIsIpv6AnyAndReadsBackAsThePeerItNames() throws Exception {
        Endpoint e = endpoint(Listen.Kind.DATAGRAM, new Listen.InetAddress(Optional.empty(), 53, Optional.empty()));
        assertEquals(Sockets.AF_INET6, e.family());
        assertEquals(28, e.sockaddr().length);
        assertEquals(new Addresses.Peer(Sockets.AF_INET6, "::", 53), Addresses.peer(e.sockaddr()).orElseThrow());
    }

    @Test
    void aV4MappedPeerOfADualStackSocketIsShownAsIpv4() throws Exception {
        Endpoint e = endpoint(Listen.Kind.STREAM, new Listen.InetAddress(Optional.of("::ffff:10.1.2.3"), 22,
                Optional.empty()));
        assertEquals("10.1.2.3:22", Addresses.peer(e.sockaddr()).orElseThrow().hostPort());
        Endpoint loop = endpoint(Listen.Kind.STREAM, new Listen.InetAddress(Optional.of("::1"), 22,
                Optional.empty()));
        assertEquals("::1:22", Addresses.peer(loop.sockaddr()).orElseThrow().hostPort());
    }

    @Test
    void unixPathsEndInANulAndAbstractNamesStartWithOne() throws Exception {
        Endpoint path = endpoint(Listen.Kind.STREAM, new Listen.PathAddress("/run/a"));
        assertArrayEquals(new byte[] {1, 0, '/', 'r', 'u', 'n', '/', 'a', 0}, path.sockaddr());
        assertEquals(Optional.of("/run/a"), path.path());
        Endpoint abstractName = endpoint(Listen.Kind.SEQUENTIAL_PACKET, new Listen.AbstractAddress("x"));
        assertArrayEquals(new byte[] {1, 0, 0, 'x'}, abstractName.sockaddr());
        assertEquals(Sockets.SOCK_SEQPACKET, abstractName.type());
        assertEquals("@x", abstractName.text());
    }

    @Test
    void vsockAndNetlinkAddresses() throws Exception {
        Endpoint v = endpoint(Listen.Kind.STREAM, new Listen.VsockAddress("", 1024));
        assertEquals(Sockets.AF_VSOCK, v.family());
        assertArrayEquals(new byte[] {40, 0, 0, 0, 0, 4, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0}, v.sockaddr());
        Endpoint n = endpoint(Listen.Kind.NETLINK, new Listen.NetlinkAddress("kobject-uevent", 1));
        assertEquals(15, n.protocol());
        assertEquals(Sockets.SOCK_RAW, n.type());
        assertThrows(InvalidValueException.class,
                () -> endpoint(Listen.Kind.NETLINK, new Listen.NetlinkAddress("nonsense", 0)));
    }

    @Test
    void instanceNamesFollowSystemd() {
        assertEquals("ssh@3-127.0.0.1:22-127.0.0.1:40112.service", InstanceNames.unitName("ssh.socket",
                "3-127.0.0.1:22-127.0.0.1:40112"));
        assertEquals("ssh@.service", InstanceNames.template("ssh.socket"));
    }

    @Test
    void theTriggerLimitAllowsTheBurstPerIntervalAndNothingWithAZeroInterval() {
        TriggerLimit limit = new TriggerLimit(2_000_000_000L, 3);
        assertEquals(true, limit.allow(0));
        assertEquals(true, limit.allow(1));
        assertEquals(true, limit.allow(2));
        assertEquals(false, limit.allow(3));
        assertEquals(true, limit.allow(2_000_000_000L), "a new window");
        TriggerLimit none = new TriggerLimit(0, 3);
        for (int i = 0; i < 100; i++) assertEquals(true, none.allow(i));
    }
}
