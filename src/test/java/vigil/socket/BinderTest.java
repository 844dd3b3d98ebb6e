package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.ControlPaths;
import vigil.os.Fds;
import vigil.unit.Host;
import vigil.unit.SocketSection;
import vigil.unit.UnitLoader;
import vigil.unit.UnitResult;

/** Each Listen*= kind bound for real (no daemon), with the file settings that go with it. */
class BinderTest {
    @TempDir
    Path dir;
    private SocketUnit unit;

    @AfterEach
    void close() {
        if (unit != null) unit.close();
    }

    private SocketUnit open(String lines, OptionalInt uid) throws Exception {
        Path units = Files.createDirectories(dir.resolve("units"));
        Files.writeString(units.resolve("t.socket"), "[Socket]\n" + lines);
        UnitResult r = UnitLoader.scan(List.of(units), Host.current()).load("t.socket");
        SocketSection section = ((UnitResult.Loaded) r).unit().socket().orElseThrow();
        unit = new SocketUnit("t.socket", section);
        unit.open(uid, OptionalInt.empty());
        return unit;
    }

    private static String target(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    }

    private static long inode(int fd) throws IOException {
        String t = target(fd);
        assertTrue(t.startsWith("socket:["), t);
        return Long.parseLong(t.substring("socket:[".length(), t.length() - 1));
    }

    private static boolean procNetHas(String file, String text) throws IOException {
        return Files.readAllLines(Path.of("/proc/net/" + file)).stream().anyMatch(l -> l.contains(text));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aFifoInMissingDirectoriesGetsDirectoryModeAndSocketModeAndCarriesWhatIsWritten() throws Exception {
        Path fifo = dir.resolve("a/b/in.fifo");
        open("ListenFIFO=" + fifo + "\nDirectoryMode=0710\nSocketMode=0620\n", OptionalInt.empty());
        assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(fifo.getParent())));
        assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a"))));
        assertEquals("rw--w----", PosixFilePermissions.toString(Files.getPosixFilePermissions(fifo)));
        Files.writeString(fifo, "hello");
        byte[] got = new byte[16];
        int n = Fds.read(unit.listeners().getFirst().fd(), got, 0, got.length);
        assertEquals("hello", new String(got, 0, n, StandardCharsets.UTF_8));
    }

    @Test
    void aSpecialFileANetlinkSocketAndAnAbstractNameAreOpened() throws Exception {
        String name = "vigil-binder-test-" + ProcessHandle.current().pid();
        open("ListenSpecial=/dev/null\nListenNetlink=kobject-uevent 1\nListenStream=@" + name
                + "\nListenDatagram=@" + name + "-dgram\n", OptionalInt.empty());
        List<Listener> l = unit.listeners();
        assertEquals("/dev/null", target(l.get(0).fd()));
        // /proc/net/netlink: sk, Eth (the protocol: 15 is NETLINK_KOBJECT_UEVENT), Pid, Groups, ..., Inode.
        long netlink = inode(l.get(1).fd());
        assertTrue(Files.readAllLines(Path.of("/proc/net/netlink")).stream().map(s -> s.trim().split("\\s+"))
                .anyMatch(f -> f[1].equals("15") && f[f.length - 1].equals(Long.toString(netlink))
                        && f[3].equals("00000001")), "a uevent socket in group 1");
        assertTrue(procNetHas("unix", "@" + name), "the abstract name");
        assertTrue(procNetHas("unix", "@" + name + "-dgram"), "the abstract datagram name");
    }

    @Test
    void bindIpv6OnlySaysWhetherAPortAloneTakesIpv4Too() throws Exception {
        assumeTrue(Files.readString(Path.of("/proc/net/if_inet6")).contains(" lo"), "no IPv6 on lo");
        int port = freePort();
        open("ListenStream=" + port + "\nBindIPv6Only=ipv6-only\n", OptionalInt.empty());
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "IPv4 refused");
        new Socket("::1", port).close();
        unit.close();
        int both = freePort();
        open("ListenStream=" + both + "\nBindIPv6Only=both\n", OptionalInt.empty());
        new Socket("127.0.0.1", both).close();
        new Socket("::1", both).close();
    }

    @Test
    void vsockBindsWhereTheHostHasItAndElseFailsNamingTheAddress() throws Exception {
        try {
            open("ListenStream=vsock::" + (20000 + ProcessHandle.current().pid() % 10000) + "\n", OptionalInt.empty());
            assertTrue(target(unit.listeners().getFirst().fd()).startsWith("socket:["));
        } catch (BindFailure e) {
            assertTrue(e.getMessage().startsWith("ListenStream=vsock::"), e.getMessage());
        }
    }

    @Test
    void symlinksPointAtTheSocketAndRemoveOnStopTakesBothAway() throws Exception {
        Path sock = dir.resolve("s/x.sock");
        Path link = dir.resolve("x.link");
        open("ListenStream=" + sock + "\nSymlinks=" + link + "\nRemoveOnStop=yes\n", OptionalInt.empty());
        assertEquals(sock, Files.readSymbolicLink(link));
        try (var c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(link))) {
            assertTrue(c.isConnected(), "reached through the symlink");
        }
        unit.close();
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void socketUserOwnsTheFile() throws Exception {
        assumeTrue(ControlPaths.currentUid() == 0, "needs root to give a file away");
        Path sock = dir.resolve("owned.sock");
        open("ListenStream=" + sock + "\n", OptionalInt.of(65534));
        assertEquals(65534, Files.getAttribute(sock, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aDatagramPortReceives() throws Exception {
        int port = freePort();
        open("ListenDatagram=127.0.0.1:" + port + "\n", OptionalInt.empty());
        try (var d = new java.net.DatagramSocket()) {
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            d.send(new java.net.DatagramPacket(ping, ping.length, new InetSocketAddress("127.0.0.1", port)));
        }
        byte[] got = new byte[16];
        Fds.setNonBlocking(unit.listeners().getFirst().fd(), false);
        int n = Fds.read(unit.listeners().getFirst().fd(), got, 0, got.length);
        assertEquals("ping", new String(got, 0, n, StandardCharsets.UTF_8));
    }
}
