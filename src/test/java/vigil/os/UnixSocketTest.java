package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketTest {
    @TempDir
    Path dir;
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fds.forEach(Fds::close);
    }

    private int track(int fd) {
        fds.add(fd);
        return fd;
    }

    private int listener(Path path) throws OsException {
        int fd = track(UnixSocket.open(UnixSocket.SOCK_STREAM | UnixSocket.SOCK_NONBLOCK));
        UnixSocket.bind(fd, path);
        UnixSocket.listen(fd, 16);
        return fd;
    }

    @Test
    void connectAcceptAndTalkBothWays() throws Exception {
        Path path = dir.resolve("s");
        int server = listener(path);
        assertEquals(-1, UnixSocket.accept(server), "nobody is waiting yet");
        int client = track(UnixSocket.open(UnixSocket.SOCK_STREAM));
        UnixSocket.connect(client, path);
        int accepted = track(UnixSocket.accept(server));
        assertTrue(accepted >= 0);
        assertTrue((Fds.statusFlags(accepted) & Fds.O_NONBLOCK) != 0, "accepted sockets are non-blocking");
        assertTrue(Fds.isCloseOnExec(accepted));

        byte[] hello = "hello\n".getBytes(StandardCharsets.US_ASCII);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, hello);
            assertEquals(hello.length, UnixSocket.send(client, out, hello.length));
        }
        byte[] got = new byte[16];
        assertEquals(hello.length, Fds.read(accepted, got, 0, got.length));
        assertEquals("hello\n", new String(got, 0, hello.length, StandardCharsets.US_ASCII));
        assertEquals(-1, Fds.read(accepted, got, 0, got.length), "nothing more: EAGAIN, not EOF");
    }

    @Test
    void peerCredentialsAreTheConnectingProcess() throws Exception {
        Path path = dir.resolve("s");
        int server = listener(path);
        int client = track(UnixSocket.open(UnixSocket.SOCK_STREAM));
        UnixSocket.connect(client, path);
        int accepted = track(UnixSocket.accept(server));
        UnixSocket.PeerCredentials peer = UnixSocket.peerCredentials(accepted);
        assertEquals(ProcessHandle.current().pid(), peer.pid());
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        assertEquals(uid, peer.uid());
        assertEquals(gid, peer.gid());
    }

    @Test
    void sendingToAClosedPeerFailsWithEpipeInsteadOfASignal() throws Exception {
        Path path = dir.resolve("s");
        int server = listener(path);
        int client = track(UnixSocket.open(UnixSocket.SOCK_STREAM));
        UnixSocket.connect(client, path);
        int accepted = UnixSocket.accept(server);
        Fds.close(accepted);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(8);
            OsException e = assertThrows(OsException.class, () -> UnixSocket.send(client, out, 8));
            assertTrue(e.errno() == Errno.EPIPE || e.errno() == Errno.ECONNRESET, e.getMessage());
        }
    }

    @Test
    void aSocketFileWithNoListenerRefusesAndCannotBeBoundAgain() throws Exception {
        Path path = dir.resolve("s");
        int stale = UnixSocket.open(UnixSocket.SOCK_STREAM);
        UnixSocket.bind(stale, path);
        UnixSocket.listen(stale, 1);
        Fds.close(stale);
        int client = track(UnixSocket.open(UnixSocket.SOCK_STREAM));
        OsException refused = assertThrows(OsException.class, () -> UnixSocket.connect(client, path));
        assertEquals(Errno.ECONNREFUSED, refused.errno());
        int again = track(UnixSocket.open(UnixSocket.SOCK_STREAM));
        assertEquals(Errno.EADDRINUSE, assertThrows(OsException.class, () -> UnixSocket.bind(again, path)).errno());
    }

    @Test
    void optionsRoundTripAndLongPathsAreRefused() throws Exception {
        int fd = track(UnixSocket.open(UnixSocket.SOCK_DGRAM));
        UnixSocket.setOption(fd, UnixSocket.SOL_SOCKET, UnixSocket.SO_PASSCRED, 1);
        assertEquals(1, UnixSocket.option(fd, UnixSocket.SOL_SOCKET, UnixSocket.SO_PASSCRED));
        Path tooLong = dir.resolve("x".repeat(120));
        assertEquals(Errno.ENAMETOOLONG, assertThrows(OsException.class, () -> UnixSocket.bind(fd, tooLong)).errno());
    }
}
