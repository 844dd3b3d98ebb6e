package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawControl;

/** Socket units run by a real daemon: fd passing, activation, Accept=yes, restarts without refusals, faults. */
class SocketActivationIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path units() throws IOException {
        return Files.createDirectories(sandbox.resolve("units"));
    }

    private void file(String name, String text) throws IOException {
        Files.writeString(units().resolve(name), text);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A python service that checks sd_listen_fds' variables, then answers each connection on any of its fds with
     * "FDS NAMES PID LINE" for the line the client sent. TERM ends it at once when idle, else after the answer: a
     * connection it has not accepted stays in the socket's backlog for the next instance.
     */
    private Path server() throws IOException {
        Path script = sandbox.resolve("serve.py");
        Files.writeString(script, """
                import os, select, signal, socket, sys
                assert os.environ["LISTEN_PID"] == str(os.getpid()), "LISTEN_PID is not mine"
                n = int(os.environ["LISTEN_FDS"])
                names = os.environ["LISTEN_FDNAMES"]
                assert len(names.split(":")) == n, names
                socks = [socket.socket(fileno=3 + i) for i in range(n)]
                busy = stop = False
                def term(signum, frame):
                    global stop
                    if not busy:
                        sys.exit(0)
                    stop = True
                signal.signal(signal.SIGTERM, term)
                while not stop:
                    ready, _, _ = select.select(socks, [], [])
                    busy = True
                    for s in ready:
                        c, _ = s.accept()
                        line = c.makefile().readline().strip()
                        c.sendall(f"{n} {names} {os.getpid()} {line}\\n".encode())
                        c.close()
                    busy = False
                """);
        return script;
    }

    private static String ask(InetSocketAddress address, String line) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 10_000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    private static String askUnix(Path path, String line) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            c.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            return new BufferedReader(new InputStreamReader(java.nio.channels.Channels.newInputStream(c),
                    StandardCharsets.UTF_8)).readLine();
        }
    }

    private DaemonProcess start(String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("daemon", "--units", units().toString()));
        args.addAll(List.of(more));
        return DaemonProcess.start(sandbox, Map.of(), args.toArray(String[]::new));
    }

    @Test
    void severalNamedSocketsReachThePythonServiceOnItsFirstConnection() throws Exception {
        int port = freePort();
        Path unixPath = sandbox.resolve("run/deep/er/echo.sock");
        file("echo.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                ListenStream=%s
                FileDescriptorName=front
                DirectoryMode=0750
                SocketMode=0600
                NoDelay=yes
                KeepAlive=yes
                """.formatted(port, unixPath));
        file("extra.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                Service=echo.service
                """.formatted(freePort()));
        file("echo.service", "[Service]\nExecStart=/usr/bin/python3 " + server() + "\n");
        daemon = start();
        daemon.awaitLine("echo.socket: listening on 127.0.0.1:" + port, WAIT);
        daemon.awaitLine("extra.socket: listening on", WAIT);
        assertEquals(0, daemon.countLines("echo.service: (started|running)"), "started before any connection");
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(unixPath.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(unixPath)));

        String first = ask(new InetSocketAddress("127.0.0.1", port), "one");
        String[] words = first.split(" ");
        assertEquals("3", words[0], first);
        assertEquals("front:front:extra.socket", words[1], first);
        assertEquals("one", words[3], first);
        String viaUnix = askUnix(unixPath, "two");
        assertEquals("3 front:front:extra.socket " + words[2] + " two", viaUnix, "the same process serves");

        try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            Map<String, Object> reply = control.call("{\"v\":1,\"cmd\":\"list-sockets\"}");
            assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
            String rows = reply.get("sockets").toString();
            assertTrue(rows.contains("listen=127.0.0.1:" + port + ", type=ListenStream, unit=echo.socket, "
                    + "activates=echo.service, state=running, accepted=1"), rows);
            assertTrue(rows.contains("listen=" + unixPath + ", type=ListenStream, unit=echo.socket"), rows);
            assertTrue(rows.contains("unit=extra.socket, activates=echo.service, state=running, accepted=0"), rows);
        }
        var status = vigil.testing.Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control")
                .toString()), "", List.of(System.getProperty("vigil.launcher"), "status", "echo.socket"));
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().matches("(?s).*127\\.0\\.0\\.1:" + port + " +ListenStream +echo\\.socket +"
                + "echo\\.service +running +1 .*"), status.output());
    }

    @Test
    void noRequestIsRefusedOrLostDuring50Restarts() throws Exception {
        int port = freePort();
        file("echo.socket", "[Socket]\nListenStream=127.0.0.1:" + port + "\n");
        // systemd's start limit (5 starts in 10 s) would refuse the 6th restart: the test restarts 50 times.
        file("echo.service", "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/usr/bin/python3 " + server()
                + "\n");
        daemon = start();
        daemon.awaitLine("echo.socket: listening", WAIT);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        assertTrue(ask(address, "warm").endsWith("warm"));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger served = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread client = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; running.get(); i++) {
                    String answer = ask(address, "req" + i);
                    if (answer == null || !answer.endsWith(" req" + i)) throw new AssertionError("lost req" + i
                            + ": " + answer);
                    served.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        java.util.Set<String> pids = new java.util.HashSet<>();
        try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            for (int i = 0; i < 50 && failure.get() == null; i++) {
                Map<String, Object> reply = control.call(
                        "{\"v\":1,\"cmd\":\"restart\",\"name\":\"echo.service\",\"wait\":true,\"timeout\":20}");
                assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
                int before = served.get();
                Await.until("a request served after restart " + i, WAIT,
                        () -> served.get() > before || failure.get() != null);
            }
        } finally {
            running.set(false);
            client.join(30_000);
        }
        if (failure.get() != null) throw new AssertionError("a client request failed", failure.get());
        assertTrue(served.get() >= 50, "served " + served.get());
    }

    @Test
    void acceptYesStartsOneInstancePerConnectionWithItsAddressAndHoldsMaxConnections() throws Exception {
        int port = freePort();
        file("greet.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                Accept=yes
                MaxConnections=2
                """.formatted(port));
        file("greet@.service", """
                [Service]
                ExecStart=/bin/sh -c 'echo "$REMOTE_ADDR $LISTEN_FDS $LISTEN_FDNAMES %i"; read line; echo "bye $line" >&3'
                """);
        daemon = start();
        daemon.awaitLine("greet.socket: listening", WAIT);
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
            a.setSoTimeout(20_000);
            b.setSoTimeout(20_000);
            var ra = new BufferedReader(new InputStreamReader(a.getInputStream()));
            var rb = new BufferedReader(new InputStreamReader(b.getInputStream()));
            String hello = ra.readLine();
            assertTrue(hello.matches("127\\.0\\.0\\.1 1 connection 0-127\\.0\\.0\\.1:" + port
                    + "-127\\.0\\.0\\.1:" + a.getLocalPort()), hello);
            assertTrue(rb.readLine().startsWith("127.0.0.1 1 connection 1-"));
            try (Socket c = new Socket("127.0.0.1", port)) {
                c.setSoTimeout(20_000);
                assertEquals(-1, c.getInputStream().read(), "a third connection is closed at once");
            }
            a.getOutputStream().write("x\n".getBytes());
            assertEquals("bye x", ra.readLine(), "fd 3 is the connection too");
            b.getOutputStream().write("y\n".getBytes());
            assertEquals("bye y", rb.readLine());
        }
        daemon.awaitLine("too many connections \\(2\\)", WAIT);
        // Both instances end and are forgotten: a new connection gets an instance again.
        Await.until("a connection served after the others ended", WAIT, () -> {
            try (Socket d = new Socket("127.0.0.1", port)) {
                d.setSoTimeout(20_000);
                String line = new BufferedReader(new InputStreamReader(d.getInputStream())).readLine();
                return line != null && line.startsWith("127.0.0.1 1 connection");
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void aFloodOf10000ConnectionsLeaksNoFdAndTheDaemonKeepsAnswering() throws Exception {
        int port = freePort();
        file("flood.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                Accept=yes
                MaxConnections=16
                TriggerLimitIntervalSec=0
                """.formatted(port));
        file("flood@.service", "[Service]\nExecStart=/bin/sh -c 'read line'\n");
        daemon = start();
        daemon.awaitLine("flood.socket: listening", WAIT);
        long baseline = fds(daemon.pid());
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 20_000);
                if (i < 16) open.add(s);
                else s.close();
            }
            try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
                assertEquals(Boolean.TRUE, control.call("{\"v\":1,\"cmd\":\"status\"}").get("ok"), "the daemon answers");
            }
            Await.until("16 instances running", WAIT, () -> daemon.countLines("flood@.*: running") >= 16);
        } finally {
            for (Socket s : open) s.close();
        }
        Await.until("the daemon's fds back to " + baseline + " (now " + fds(daemon.pid()) + ")", WAIT,
                () -> fds(daemon.pid()) <= baseline);
        assertTrue(daemon.countLines("flood@.*: running") <= 10_000);
    }

    /** The daemon's open fds (the launcher execs the JVM, so the pid is the daemon's). */
    private static long fds(long pid) {
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return list.count();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    @Test
    void aServiceThatDiesAtEveryActivationHitsTheTriggerLimitAndTheSocketStopsListening() throws Exception {
        int port = freePort();
        file("dies.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                TriggerLimitIntervalSec=10s
                TriggerLimitBurst=5
                """.formatted(port));
        file("dies.service", "[Service]\nExecStart=/bin/true\n");
        file("other.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        daemon = start();
        daemon.awaitLine("dies.socket: listening", WAIT);
        try (Socket s = new Socket("127.0.0.1", port)) {
            daemon.awaitLine("dies.socket: failed: trigger limit hit .*127.0.0.1:" + port, WAIT);
        }
        long starts = daemon.countLines("dies.service: .*started");
        assertFalse(Await.value("refused once closed", WAIT, () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return null;
            } catch (IOException refused) {
                return false;
            }
        }));
        assertEquals(starts, daemon.countLines("dies.service: .*started"), "no start after the socket failed");
        daemon.awaitLine("other.service: running", WAIT);
    }

    @Test
    void anAddressInUseFailsOnlyItsSocketUnitNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            file("taken.socket", "[Socket]\nListenStream=127.0.0.1:" + port + "\n");
            file("taken.service", "[Service]\nExecStart=/bin/sleep 1000\n");
            file("fine.socket", "[Socket]\nListenStream=127.0.0.1:" + freePort() + "\nSocketUser=no-such-user-x\n");
            file("fine.service", "[Service]\nExecStart=/bin/sleep 1000\n");
            file("other.service", "[Service]\nExecStart=/bin/sleep 1000\n");
            daemon = start();
            daemon.awaitLine("taken.socket: failed: ListenStream=127.0.0.1:" + port + ": address already in use",
                    WAIT);
            daemon.awaitLine("fine.socket: failed: SocketUser=no-such-user-x", WAIT);
            daemon.awaitLine("other.service: running", WAIT);
        }
    }

    @Test
    void aServiceDirectoryWithADownFileStartsOnItsFirstConnection() throws Exception {
        int port = freePort();
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path web = Files.createDirectories(root.resolve("web"));
        Files.writeString(web.resolve("down"), "");
        vigil.testing.ServiceDirs.script(web.resolve("run"), "exec /usr/bin/python3 " + server());
        file("web.socket", "[Socket]\nListenStream=127.0.0.1:" + port + "\nService=web\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", root.toString(), "--units", units().toString());
        daemon.awaitLine("web.socket: listening", WAIT);
        String answer = ask(new InetSocketAddress("127.0.0.1", port), "dir");
        assertTrue(answer.matches("1 web.socket \\d+ dir"), answer);
    }
}
