package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.RawControl;

/** A socket unit's own ExecStartPre=/ExecStartPost=/ExecStopPre=/ExecStopPost=, run by a real daemon. */
class SocketExecIT {
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

    /** A command line that appends "WHAT UID bound|unbound" to {@code trace}, bound meaning the socket file is there. */
    private static String traced(String what, Path socket, Path trace) {
        return "/bin/sh -c 'echo \"" + what + " $(id -u) $(test -S " + socket + " && echo bound || echo unbound)\" >> "
                + trace + "'";
    }

    @Test
    void theyRunAroundTheBindAndTheCloseAsTheSocketUnitsUser() throws Exception {
        Nobody.require();
        Nobody.letIn(sandbox);
        Path socket = sandbox.resolve("sock/web.sock");
        Path trace = sandbox.resolve("trace");
        Files.writeString(trace, "");
        Files.setPosixFilePermissions(trace, PosixFilePermissions.fromString("rw-rw-rw-"));
        file("web.socket", """
                [Socket]
                ListenStream=%s
                RemoveOnStop=yes
                User=nobody
                ExecStartPre=%s
                ExecStartPost=%s
                ExecStopPre=%s
                ExecStopPost=+%s
                """.formatted(socket, traced("start-pre", socket, trace), traced("start-post", socket, trace),
                traced("stop-pre", socket, trace), traced("stop-post", socket, trace)));
        file("web.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units().toString());
        daemon.awaitLine("web.socket: listening on " + socket, WAIT);
        assertEquals(List.of("start-pre 65534 unbound", "start-post 65534 bound"), Files.readAllLines(trace));

        try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            Map<String, Object> reply = control.call(
                    "{\"v\":1,\"cmd\":\"stop\",\"name\":\"web.socket\",\"wait\":true,\"timeout\":20}");
            assertEquals(Boolean.TRUE, reply.get("ok"), reply.toString());
        }
        // ExecStopPost= has '+': it runs as root, whatever User= says.
        Await.until("ExecStopPost= ran", WAIT, () -> lines(trace).size() == 4);
        assertEquals(List.of("start-pre 65534 unbound", "start-post 65534 bound", "stop-pre 65534 bound",
                "stop-post 0 unbound"), Files.readAllLines(trace));
    }

    @Test
    void aFailedStartCommandFailsOnlyItsSocketUnitNamingTheCommandAndTheMinusPrefixIsIgnored() throws Exception {
        int prePort = freePort();
        int postPort = freePort();
        file("pre.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                ExecStartPre=-/bin/false
                ExecStartPre=/bin/sh -c 'exit 3'
                """.formatted(prePort));
        file("pre.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        file("post.socket", """
                [Socket]
                ListenStream=127.0.0.1:%d
                ExecStartPost=/bin/false
                """.formatted(postPort));
        file("post.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        file("other.service", "[Service]\nExecStart=/bin/sleep 1000\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units().toString());
        daemon.awaitLine("pre.socket: ExecStartPre=/bin/false failed: exited 1 \\(ignored: '-'\\)", WAIT);
        daemon.awaitLine("pre.socket: failed: ExecStartPre=/bin/sh -c exit 3 failed: exited 3", WAIT);
        daemon.awaitLine("post.socket: failed: ExecStartPost=/bin/false failed: exited 1", WAIT);
        daemon.awaitLine("other.service: running", WAIT);
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", prePort).close(), "never bound");
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", postPort).close(), "closed again");
        try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            String rows = control.call("{\"v\":1,\"cmd\":\"list-sockets\"}").get("sockets").toString();
            assertEquals(true, rows.contains("unit=post.socket, activates=post.service, state=failed "
                    + "(ExecStartPost=/bin/false failed: exited 1)"), rows);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
