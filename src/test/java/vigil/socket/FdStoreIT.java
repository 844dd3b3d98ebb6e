package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawControl;

/** The fd store run by a real daemon: a connection handed by one instance of a service to the next. */
class FdStoreIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /**
     * A python service: without a stored connection it accepts one on its socket, says "first PID", stores the
     * connection with FDSTORE=1 and FDNAME=conn, then offers a pipe as well (beyond FileDescriptorStoreMax=1). With
     * one (a later instance), it says "again PID FDS NAMES" on it and echoes the line that comes back.
     */
    private Path service() throws IOException {
        Path script = sandbox.resolve("keeper.py");
        Files.writeString(script, """
                import os, signal, socket
                n = int(os.environ["LISTEN_FDS"])
                names = os.environ["LISTEN_FDNAMES"].split(":")
                assert len(names) == n, names
                kept = [socket.socket(fileno=3 + i) for i in range(n) if names[i] == "conn"]
                if kept:
                    c = kept[0]
                    c.sendall(f"again {os.getpid()} {n} {':'.join(names)}\\n".encode())
                    line = c.makefile().readline().strip()
                    c.sendall(f"echo {line}\\n".encode())
                else:
                    c, _ = socket.socket(fileno=3).accept()
                    c.sendall(f"first {os.getpid()}\\n".encode())
                    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    notify.connect(os.environ["NOTIFY_SOCKET"])
                    socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=conn"], [c.fileno()])
                    r, w = os.pipe()
                    socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=extra"], [r])
                while True:
                    signal.pause()
                """);
        return script;
    }

    @Test
    void aStoredConnectionReachesTheNextInstanceStillOpenAndIsClosedWhenTheServiceStops() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("keeper.socket"), "[Socket]\nListenStream=127.0.0.1:" + port + "\n");
        Files.writeString(units.resolve("keeper.service"), "[Service]\nFileDescriptorStoreMax=1\nExecStart="
                + "/usr/bin/python3 " + service() + "\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("keeper.socket: listening", WAIT);
        long baseline = fds(daemon.pid());

        try (Socket client = new Socket("127.0.0.1", port);
             RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            client.setSoTimeout(20_000);
            var in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            String first = in.readLine();
            assertTrue(first.startsWith("first "), first);
            daemon.awaitLine("keeper.service: FDSTORE=1 from pid \\d+: 1 fd\\(s\\) not stored: "
                    + "FileDescriptorStoreMax=1 reached", WAIT);
            // The refusal of the second message says the first, on the same socket, was handled: conn is stored.

            Map<String, Object> reply = control.call(
                    "{\"v\":1,\"cmd\":\"restart\",\"name\":\"keeper.service\",\"wait\":true,\"timeout\":20}");
            assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
            String again = in.readLine();
            assertTrue(again != null && again.matches("again \\d+ 2 keeper\\.socket:conn"), again);
            assertNotEquals(first.split(" ")[1], again.split(" ")[1], "a new instance");
            client.getOutputStream().write("still open\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("echo still open", in.readLine());

            reply = control.call("{\"v\":1,\"cmd\":\"stop\",\"name\":\"keeper.service\",\"wait\":true,"
                    + "\"timeout\":20}");
            assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
            assertEquals(-1, client.getInputStream().read(), "the store let the connection go with the service");
        }
        Await.until("the daemon's fds back to " + baseline + " (now " + fds(daemon.pid()) + ")", WAIT,
                () -> fds(daemon.pid()) == baseline);
    }

    private static long fds(long pid) {
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return list.count();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
