package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * {@code daemon-reexec} with socket units and an fd store: the new daemon takes the bound sockets and the stored fds
 * as they were, so a client queued in a backlog across the exec is served, a socket left listening still activates
 * its service, and a stored connection reaches the next instance of its service.
 */
class SocketReexecIT {
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

    /**
     * A python service that says it started (touches its first argument), accepts nothing until its second argument
     * exists, then answers each connection with "PID LINE".
     */
    private Path gated() throws IOException {
        Path script = sandbox.resolve("gated.py");
        Files.writeString(script, """
                import os, socket, sys, time
                open(sys.argv[1], "w").close()
                s = socket.socket(fileno=3)
                while not os.path.exists(sys.argv[2]):
                    time.sleep(0.05)
                while True:
                    c, _ = s.accept()
                    line = c.makefile().readline().strip()
                    c.sendall(f"{os.getpid()} {line}\\n".encode())
                    c.close()
                """);
        return script;
    }

    /** The keeper of FdStoreIT: stores its first connection (FDNAME=conn), and answers on it when it gets it back. */
    private Path keeper() throws IOException {
        Path script = sandbox.resolve("keeper.py");
        Files.writeString(script, """
                import os, signal, socket
                n = int(os.environ["LISTEN_FDS"])
                names = os.environ["LISTEN_FDNAMES"].split(":")
                kept = [socket.socket(fileno=3 + i) for i in range(n) if names[i] == "conn"]
                if kept:
                    c = kept[0]
                    c.sendall(f"again {n} {':'.join(names)}\\n".encode())
                    c.sendall(f"echo {c.makefile().readline().strip()}\\n".encode())
                else:
                    c, _ = socket.socket(fileno=3).accept()
                    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    notify.connect(os.environ["NOTIFY_SOCKET"])
                    socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=conn"], [c.fileno()])
                    r, w = os.pipe()
                    socket.send_fds(notify, [b"FDSTORE=1\\nFDNAME=extra"], [r])
                    c.sendall(b"first\\n")
                while True:
                    signal.pause()
                """);
        return script;
    }

    private static Socket client(int port, String line) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        return s;
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }

    @Test
    void queuedClientsListeningSocketsAndStoredFdsCarryOverAReexec() throws Exception {
        int held = freePort(), lazy = freePort(), kept = freePort();
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Path gate = sandbox.resolve("gate");
        Files.writeString(units.resolve("held.socket"), "[Socket]\nListenStream=127.0.0.1:" + held + "\n");
        Files.writeString(units.resolve("held.service"), "[Service]\nExecStart=/usr/bin/python3 " + gated() + " "
                + sandbox.resolve("held-started") + " " + gate + "\n");
        Files.writeString(units.resolve("lazy.socket"), "[Socket]\nListenStream=127.0.0.1:" + lazy + "\n");
        Files.writeString(units.resolve("lazy.service"), "[Service]\nExecStart=/usr/bin/python3 " + gated() + " "
                + sandbox.resolve("lazy-started") + " /\n");
        Files.writeString(units.resolve("keeper.socket"), "[Socket]\nListenStream=127.0.0.1:" + kept + "\n");
        Files.writeString(units.resolve("keeper.service"), "[Service]\nFileDescriptorStoreMax=1\nExecStart="
                + "/usr/bin/python3 " + keeper() + "\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        for (String unit : new String[] {"held", "lazy", "keeper"}) daemon.awaitLine(unit + ".socket: listening", WAIT);

        try (Socket first = client(held, "before");
             Socket stored = new Socket("127.0.0.1", kept);
             RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            // held.service runs and accepts nothing yet: the next client waits in the backlog across the exec.
            Await.until("held.service started", WAIT, () -> Files.exists(sandbox.resolve("held-started")));
            try (Socket queued = client(held, "queued")) {
                stored.setSoTimeout(20_000);
                var storedIn = reader(stored);
                assertEquals("first", storedIn.readLine());
                daemon.awaitLine("keeper.service: FDSTORE=1 from pid \\d+: 1 fd\\(s\\) not stored", WAIT);

                Map<String, Object> reply = control.call("{\"v\":1,\"cmd\":\"daemon-reexec\"}");
                assertEquals(Boolean.TRUE, reply.get("ok"), reply + "\n" + String.join("\n", daemon.lines()));
                daemon.awaitLine("re-executed", WAIT);

                Files.writeString(gate, "");
                String a = reader(first).readLine();
                String b = reader(queued).readLine();
                assertTrue(a != null && a.endsWith(" before"), a);
                assertEquals(a.split(" ")[0] + " queued", b, "the same instance serves the queued client");

                try (Socket afterwards = client(lazy, "lazy")) {
                    String c = reader(afterwards).readLine();
                    assertTrue(c != null && c.endsWith(" lazy"), "a socket listening across the exec activates: "
                            + c);
                }

                try (RawControl again = new RawControl(sandbox.resolve("run/control"))) {
                    String rows = again.call("{\"v\":1,\"cmd\":\"list-sockets\"}").get("sockets").toString();
                    assertTrue(rows.contains("unit=held.socket, activates=held.service, state=running, accepted=1"),
                            rows);
                    reply = again.call("{\"v\":1,\"cmd\":\"restart\",\"name\":\"keeper.service\",\"wait\":true,"
                            + "\"timeout\":20}");
                    assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
                    assertEquals("again 2 keeper.socket:conn", storedIn.readLine(), "the stored connection");
                    stored.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
                    assertEquals("echo still here", storedIn.readLine());

                    // The fds the new daemon took are those it hands to the next instance of held.service.
                    reply = again.call("{\"v\":1,\"cmd\":\"restart\",\"name\":\"held.service\",\"wait\":true,"
                            + "\"timeout\":20}");
                    assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
                    try (Socket next = client(held, "next")) {
                        String d = reader(next).readLine();
                        assertTrue(d != null && d.endsWith(" next") && !d.startsWith(a.split(" ")[0] + " "), d);
                    }
                }
            }
        }
    }
}
