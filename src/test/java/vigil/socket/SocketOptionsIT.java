package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;

/**
 * Every socket option of a socket unit, read back with getsockopt(2) by the service that gets the fds, and
 * MaxConnectionsPerSource= held by a real daemon.
 */
class SocketOptionsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A python service that writes NAME=VALUE lines of getsockopt on its fds 3 (TCP) and 4 (unix), then sleeps. */
    private Path reader(Path out) throws IOException {
        Path script = sandbox.resolve("options.py");
        Files.writeString(script, """
                import os, socket, sys, time
                tcp = socket.socket(fileno=3)
                unix = socket.socket(fileno=4)
                S, IP, T = socket.SOL_SOCKET, socket.IPPROTO_IP, socket.IPPROTO_TCP
                values = {
                    "reuseport": tcp.getsockopt(S, socket.SO_REUSEPORT),
                    "keepalive": tcp.getsockopt(S, socket.SO_KEEPALIVE),
                    "nodelay": tcp.getsockopt(T, socket.TCP_NODELAY),
                    "rcvbuf": tcp.getsockopt(S, socket.SO_RCVBUF),
                    "sndbuf": tcp.getsockopt(S, socket.SO_SNDBUF),
                    "mark": tcp.getsockopt(S, 36),
                    "tos": tcp.getsockopt(IP, socket.IP_TOS),
                    "ttl": tcp.getsockopt(IP, socket.IP_TTL),
                    "freebind": tcp.getsockopt(IP, 15),
                    "transparent": tcp.getsockopt(IP, 19),
                    "passcred": unix.getsockopt(S, socket.SO_PASSCRED),
                    "passsec": unix.getsockopt(S, 34),
                }
                with open(sys.argv[1] + ".tmp", "w") as f:
                    for k, v in values.items():
                        f.write(f"{k}={v}\\n")
                os.rename(sys.argv[1] + ".tmp", sys.argv[1])
                while True:
                    time.sleep(1000)
                """);
        return script;
    }

    @Test
    void everyOptionIsSetOnTheFdsTheServiceGets() throws Exception {
        int port = freePort();
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Path out = sandbox.resolve("options");
        Files.writeString(units.resolve("opts.socket"), """
                [Socket]
                ListenStream=127.0.0.1:%d
                ListenStream=%s
                ReusePort=yes
                KeepAlive=yes
                NoDelay=yes
                ReceiveBuffer=5M
                SendBuffer=6M
                Mark=42
                IPTOS=low-delay
                IPTTL=17
                FreeBind=yes
                Transparent=yes
                PassCredentials=yes
                PassSecurity=yes
                """.formatted(port, sandbox.resolve("opts.sock")));
        Files.writeString(units.resolve("opts.service"), "[Service]\nExecStart=/usr/bin/python3 " + reader(out)
                + " " + out + "\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("opts.socket: listening", WAIT);
        new Socket("127.0.0.1", port).close();
        Await.until("the service read its options", WAIT, () -> Files.exists(out));
        Map<String, Long> got = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            got.put(line.substring(0, line.indexOf('=')), Long.parseLong(line.substring(line.indexOf('=') + 1)));
        }
        for (String on : new String[] {"reuseport", "keepalive", "nodelay", "freebind", "transparent", "passcred",
                "passsec"}) {
            assertEquals(1L, got.get(on), on + " in " + got);
        }
        // The kernel doubles what setsockopt asks for (socket(7)); beyond net.core.rmem_max only with the FORCE option.
        assertEquals(2L * 5 * 1024 * 1024, got.get("rcvbuf"), got.toString());
        assertEquals(2L * 6 * 1024 * 1024, got.get("sndbuf"), got.toString());
        assertEquals(42L, got.get("mark"));
        assertEquals(0x10L, got.get("tos"));
        assertEquals(17L, got.get("ttl"));
    }

    @Test
    void maxConnectionsPerSourceClosesTheSecondConnectionFromOneAddress() throws Exception {
        int port = freePort();
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("per.socket"), """
                [Socket]
                ListenStream=127.0.0.1:%d
                Accept=yes
                MaxConnections=10
                MaxConnectionsPerSource=1
                """.formatted(port));
        Files.writeString(units.resolve("per@.service"),
                "[Service]\nExecStart=/bin/sh -c 'echo hello; read line'\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("per.socket: listening", WAIT);
        try (Socket first = new Socket("127.0.0.1", port)) {
            first.setSoTimeout(20_000);
            assertEquals("hello", new BufferedReader(new InputStreamReader(first.getInputStream())).readLine());
            try (Socket second = new Socket("127.0.0.1", port)) {
                second.setSoTimeout(20_000);
                assertEquals(-1, second.getInputStream().read(), "a second connection from 127.0.0.1 is closed");
            }
            daemon.awaitLine("per.socket: too many connections from 127.0.0.1 \\(1\\)", WAIT);
        }
        Await.until("a connection served once the first has ended", WAIT, () -> {
            try (Socket again = new Socket("127.0.0.1", port)) {
                again.setSoTimeout(20_000);
                return "hello".equals(new BufferedReader(new InputStreamReader(again.getInputStream())).readLine());
            } catch (IOException e) {
                return false;
            }
        });
    }
}
