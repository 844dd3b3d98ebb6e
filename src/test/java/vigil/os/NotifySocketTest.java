package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;

class NotifySocketTest {
    @TempDir
    Path dir;
    private final List<Integer> fds = new ArrayList<>();
    private Process child;

    @AfterEach
    void cleanUp() throws Exception {
        fds.forEach(Fds::close);
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private void send(Path path, String text) throws OsException {
        int client = UnixSocket.open(UnixSocket.SOCK_DGRAM);
        fds.add(client);
        UnixSocket.connect(client, path);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
            assertEquals(bytes.length, UnixSocket.send(client, buffer, bytes.length));
        }
    }

    @Test
    void receivesTheTextWithTheKernelsCredentials() throws Exception {
        Path path = dir.resolve("notify");
        Files.writeString(path, "stale");
        int server = NotifySocket.open(path);
        fds.add(server);
        var buffers = new NotifySocket.Buffers();
        assertEquals(Optional.empty(), NotifySocket.receive(server, buffers));
        send(path, "READY=1\nSTATUS=hello");
        NotifySocket.Datagram d = NotifySocket.receive(server, buffers).orElseThrow();
        assertEquals("READY=1\nSTATUS=hello", d.text());
        assertEquals(Children.getpid(), d.pid());
        assertEquals(Children.getuid(), d.uid());
        assertEquals(false, d.truncated());
    }

    @Test
    void dropsAnOversizedMessage() throws Exception {
        Path path = dir.resolve("notify");
        int server = NotifySocket.open(path);
        fds.add(server);
        send(path, "STATUS=" + "x".repeat(5000));
        NotifySocket.Datagram d = NotifySocket.receive(server, new NotifySocket.Buffers()).orElseThrow();
        assertTrue(d.truncated());
        assertEquals("", d.text());
    }

    @Test
    void realSystemdNotifyIsHeardAndItsBarrierReleased() throws Exception {
        Path path = dir.resolve("notify");
        int server = NotifySocket.open(path);
        fds.add(server);
        var pb = new ProcessBuilder("systemd-notify", "--ready", "--status=up and running");
        pb.environment().put("NOTIFY_SOCKET", path.toString());
        pb.redirectErrorStream(true);
        child = pb.start();
        var buffers = new NotifySocket.Buffers();
        List<NotifySocket.Datagram> got = new ArrayList<>();
        Await.until("systemd-notify's messages", Duration.ofSeconds(10), () -> {
            try {
                NotifySocket.receive(server, buffers).ifPresent(got::add);
            } catch (OsException e) {
                throw new AssertionError(e);
            }
            return got.stream().anyMatch(d -> !d.fds().isEmpty()) || !child.isAlive();
        });
        assertTrue(got.getFirst().text().contains("READY=1"), got.toString());
        assertTrue(got.getFirst().text().contains("STATUS=up and running"), got.toString());
        // systemd-notify speaks for its parent (--pid defaults to it); as root it may claim that pid, and the
        // kernel passes the claim on in SCM_CREDENTIALS.
        long expected = Children.getuid() == 0 ? ProcessHandle.current().pid() : child.pid();
        assertEquals(expected, got.getFirst().pid());
        assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the barrier's fd was closed, so it returns");
        assertEquals(0, child.exitValue(), new String(child.getInputStream().readAllBytes()));
    }
}
