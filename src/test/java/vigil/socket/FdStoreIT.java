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

    /**
     * A python service: without a stored connection it accepts one, stores it three times (twice as sent, once as a
     * dup) and a pipe, then a second pipe that FileDescriptorStoreMax=2 refuses, and says "first". With one, it
     * says "again FDS NAMES", and on "drop" removes it from the store (FDSTOREREMOVE=1), says "dropped" and closes
     * its own copy.
     */
    private Path dedupingService() throws IOException {
        Path script = sandbox.resolve("dedup.py");
        Files.writeString(script, """
                import os, signal, socket
                n = int(os.environ["LISTEN_FDS"])
                names = os.environ["LISTEN_FDNAMES"].split(":")
                notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                notify.connect(os.environ["NOTIFY_SOCKET"])
                kept = [socket.socket(fileno=3 + i) for i in range(n) if names[i] == "conn"]
                if kept:
                    c = kept[0]
                    c.sendall(f"again {n} {':'.join(names)}\\n".encode())
                    if c.makefile().readline().strip() == "drop":
                        notify.send(b"FDSTOREREMOVE=1\\nFDNAME=conn")
                        c.sendall(b"dropped\\n")
                        c.close()
                else:
                    c, _ = socket.socket(fileno=3).accept()
                    for fd in (c.fileno(), c.fileno(), os.dup(c.fileno())):
                        socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=conn"], [fd])
                    for name in ("extra", "refused"):
                        r, w = os.pipe()
                        socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=" + name.encode()], [r])
                    c.sendall(b"first\\n")
                while True:
                    signal.pause()
                """);
        return script;
    }

    @Test
    void theSameConnectionStoredThriceIsKeptOncePreservedAcrossAStopAndRemovedByName() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("dedup.socket"), "[Socket]\nListenStream=127.0.0.1:" + port + "\n");
        Files.writeString(units.resolve("dedup.service"), "[Service]\nFileDescriptorStoreMax=2\n"
                + "FileDescriptorStorePreserve=yes\nExecStart=/usr/bin/python3 " + dedupingService() + "\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("dedup.socket: listening", WAIT);
        try (Socket client = new Socket("127.0.0.1", port);
             RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            client.setSoTimeout(20_000);
            var in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("first", in.readLine());
            daemon.awaitLine("dedup.service: FDSTORE=1 from pid \\d+: 1 fd\\(s\\) not stored: "
                    + "FileDescriptorStoreMax=2 reached", WAIT);
            // A stop, not a restart: FileDescriptorStorePreserve=yes keeps the store till the unit goes.
            for (String cmd : new String[] {"stop", "start"}) {
                Map<String, Object> reply = control.call("{\"v\":1,\"cmd\":\"" + cmd + "\",\"name\":"
                        + "\"dedup.service\",\"wait\":true,\"timeout\":20}");
                assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
            }
            assertEquals("again 3 dedup.socket:conn:extra", in.readLine(), "the connection once, and the pipe");
            client.getOutputStream().write("drop\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("dropped", in.readLine());
            assertEquals(-1, client.getInputStream().read(), "the store closed its copy on FDSTOREREMOVE=1");
        }
    }

    private static long fds(long pid) {
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return list.count();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
