package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawControl;
import vigil.testing.RawHttp;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * {@code vigil daemon --http 127.0.0.1:0 --http-token FILE} against real clients: the probes as services become
 * ready and fail, the metrics through promtool, the token on actions, and what bad clients get.
 */
class HttpEndpointsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "s3cret-token-of-the-test-0123456789";

    @TempDir
    Path sandbox;

    private DaemonProcess start(Path root, String... more) throws IOException {
        Files.writeString(sandbox.resolve("token"), TOKEN + "\n");
        List<String> args = new ArrayList<>(List.of("daemon", "--log-dir", DaemonProcess.logDir(sandbox).toString(),
                "--http", "127.0.0.1:0", "--http-token", sandbox.resolve("token").toString()));
        args.addAll(List.of(more));
        args.add(root.toString());
        return DaemonProcess.start(sandbox, Map.of(), args.toArray(String[]::new));
    }

    @Test
    void readyzGoesFrom503To200AsServicesBecomeReadyAndBackWhenOneFails() throws Exception {
        Path root = sandbox.resolve("sv");
        Path flag = sandbox.resolve("ready-now");
        Path fail = sandbox.resolve("fail-now");
        ServiceDirs.service(root, "web", "[ -f " + fail + " ] && exit 1\nexec sleep 1000");
        Path slow = ServiceDirs.service(root, "slow", "exec sleep 1000");
        ServiceDirs.script(slow.resolve("check"), "test -f " + flag);
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            assertEquals(200, RawHttp.get(port, "/healthz").status());
            ServiceDirs.awaitRunning(slow, WAIT);
            RawHttp.Response notReady = RawHttp.get(port, "/readyz");
            assertEquals(503, notReady.status(), notReady.body());
            assertTrue(notReady.body().contains("slow is starting"), notReady.body());
            assertEquals(503, RawHttp.get(port, "/readyz/slow").status());
            assertEquals(404, RawHttp.get(port, "/readyz/nope").status());

            Files.createFile(flag);
            Await.until("/readyz 200", WAIT, () -> status(port, "/readyz") == 200);
            assertEquals(200, RawHttp.get(port, "/readyz/slow").status());

            Files.createFile(fail);
            long pid = ServiceDirs.awaitRunning(root.resolve("web"), WAIT);
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            Await.until("/readyz 503 once web fails", WAIT, () -> status(port, "/readyz") == 503);
            assertTrue(RawHttp.get(port, "/readyz").body().contains("web is"), "names the service");
            assertEquals(503, RawHttp.get(port, "/readyz/web").status());
        }
    }

    @Test
    void metricsPassPromtoolAndCountRestartsSpawnsAndLogs() throws Exception {
        Path promtool = Tools.require("promtool", "prometheus");
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "echo one line; echo another; exec sleep 1000");
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            long pid = ServiceDirs.awaitRunning(web, WAIT);
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ServiceDirs.awaitRestarted(web, pid, WAIT);
            Await.until("two runs' lines logged", WAIT,
                    () -> metrics(port).contains("vigil_service_log_lines_total{service=\"web\"} 4\n"));
            String text = metrics(port);
            assertTrue(text.contains("vigil_service_restarts_total{service=\"web\"} 1\n"), text);
            assertTrue(text.contains("vigil_service_log_bytes_total{service=\"web\"} 34\n"), text);
            assertTrue(text.contains("vigil_service_last_exit_signal{service=\"web\",signal=\"SIGKILL\"} 1\n"), text);
            assertTrue(text.contains("vigil_spawns_total 2\n"), text);
            assertTrue(Pattern.compile("vigil_open_fds \\d+\n").matcher(text).find(), text);
            Path file = sandbox.resolve("metrics.txt");
            Files.writeString(file, text);
            Tools.Result check = Tools.run(sandbox, Map.of(), text, List.of(promtool.toString(), "check", "metrics"));
            assertEquals(0, check.exit(), check.toString());

            RawHttp.Response open = RawHttp.send(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: "
                    + "application/openmetrics-text; version=1.0.0\r\nConnection: close\r\n\r\n");
            assertTrue(open.headers().get("content-type").startsWith("application/openmetrics-text"), open.toString());
            assertTrue(open.body().endsWith("# EOF\n"), open.body());
        }
    }

    @Test
    void actionsOverTcpNeedTheTokenAndAPost() throws Exception {
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            ServiceDirs.awaitRunning(web, WAIT);
            assertEquals(401, RawHttp.post(port, "/api/services/web/stop", null).status());
            assertEquals(401, RawHttp.post(port, "/api/services/web/stop", "not-the-token-at-all").status());
            assertEquals(405, RawHttp.get(port, "/api/services/web/stop").status());
            RawHttp.Response foreign = RawHttp.send(port, "POST /api/services/web/stop HTTP/1.1\r\nHost: 127.0.0.1:"
                    + port + "\r\nOrigin: http://evil.example\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertEquals(403, foreign.status(), foreign.body());
            assertTrue(ServiceDirs.status(web).running(), "refused actions changed nothing");

            assertEquals(404, RawHttp.post(port, "/api/services/nope/stop", TOKEN).status());
            RawHttp.Response stopped = RawHttp.post(port, "/api/services/web/stop", TOKEN);
            assertEquals(200, stopped.status(), stopped.body());
            ServiceDirs.awaitDown(web, WAIT);
        }
    }

    @Test
    void badRequestsGetClearStatusesAndTheDaemonGoesOn() throws Exception {
        Path root = sandbox.resolve("sv");
        ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            // A 10 MB request line: refused after 8 KiB, and the answer still reaches the client.
            RawHttp.Response huge;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port));
                socket.setSoTimeout(20_000);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        OutputStream out = socket.getOutputStream();
                        out.write("GET /".getBytes(StandardCharsets.US_ASCII));
                        byte[] chunk = "a".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
                        for (int i = 0; i < 160; i++) out.write(chunk);
                    } catch (IOException e) {
                        // The server stops reading once it has answered: expected.
                    }
                });
                huge = RawHttp.read(socket.getInputStream());
                writer.join(20_000);
            }
            assertEquals(414, huge.status(), huge.body());
            assertEquals(431, RawHttp.send(port, "GET / HTTP/1.1\r\n" + ("X-More: " + "c".repeat(1000) + "\r\n")
                    .repeat(20) + "\r\n").status());
            for (String path : List.of("/../etc/passwd", "/readyz/%2e%2e/x", "/readyz/web%2flog", "/a%00b")) {
                assertEquals(400, RawHttp.get(port, path).status(), path);
            }
            assertEquals(400, RawHttp.send(port, "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n").status());
            assertEquals(404, RawHttp.get(port, "/etc/passwd").status());
            assertEquals(505, RawHttp.send(port, "GET / HTTP/2.0\r\nHost: x\r\n\r\n").status());
            assertEquals(400, RawHttp.send(port, "garbage\r\n\r\n").status());
            assertEquals(200, RawHttp.get(port, "/healthz").status());
        }
    }

    @Test
    void aSlowlorisClientGets408WhileOthersAreServed() throws Exception {
        Path root = sandbox.resolve("sv");
        ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root); Socket slow = new Socket()) {
            int port = RawHttp.port(daemon);
            slow.connect(new InetSocketAddress("127.0.0.1", port));
            slow.setSoTimeout(30_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long began = System.nanoTime();
            // A header byte now and then, as slowloris does, while another client is served at once.
            Thread dribble = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        out.write('X');
                        out.flush();
                        Thread.sleep(250); // the attack's pace: the behaviour under test, not a synchronisation
                    }
                } catch (IOException | InterruptedException e) {
                    // The server closed it: what the test waits for.
                }
            });
            assertEquals(200, RawHttp.get(port, "/healthz").status());
            RawHttp.Response answer = RawHttp.read(slow.getInputStream());
            long tookMs = (System.nanoTime() - began) / 1_000_000;
            assertEquals(408, answer.status(), answer.body());
            assertTrue(tookMs < HttpServer.HEAD_TIMEOUT.toMillis() + 3000, "ended after " + tookMs + " ms");
            dribble.join(10_000);
        }
    }

    @Test
    void aThousandConnectionsAreBoundedAndTheDaemonStaysResponsive() throws Exception {
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            long pid = ServiceDirs.awaitRunning(web, WAIT);
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    s.setSoTimeout(20_000);
                    sockets.add(s);
                }
                // The last one came when every HTTP thread was taken by an idle connection: a 503 at once.
                RawHttp.Response last = RawHttp.read(sockets.getLast().getInputStream());
                assertEquals(503, last.status(), last.body());
                // The loop itself is not held up: a restart over the control socket is done as usual.
                try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
                    control.write("{\"v\":1,\"cmd\":\"restart\",\"name\":\"web\",\"wait\":true,\"timeout\":10}\n");
                    Map<String, Object> reply = control.readJson();
                    assertEquals(true, reply.get("ok"), reply.toString());
                }
                ServiceDirs.awaitRestarted(web, pid, WAIT);
            } finally {
                for (Socket s : sockets) s.close();
            }
            Await.until("/healthz once the crowd is gone", WAIT, () -> status(port, "/healthz") == 200);
            String text = metrics(port);
            Matcher rejected = Pattern.compile("vigil_http_rejected_connections_total (\\d+)").matcher(text);
            assertTrue(rejected.find() && Long.parseLong(rejected.group(1)) >= 1000 - HttpServer.WORKERS - 50, text);
        }
    }

    @Test
    void anEventStreamThatIsNeverReadIsDroppedAndCounted() throws Exception {
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root); Socket reader = new Socket()) {
            int port = RawHttp.port(daemon);
            ServiceDirs.awaitRunning(web, WAIT);
            reader.setReceiveBufferSize(4096);
            reader.connect(new InetSocketAddress("127.0.0.1", port));
            reader.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
                // Events the reader never takes, until the server gives up on it.
                Await.until("the stream dropped", Duration.ofSeconds(90), () -> {
                    try {
                        for (int i = 0; i < 20; i++) {
                            control.write("{\"v\":1,\"cmd\":\"restart\",\"name\":\"web\"}\n");
                            control.readJson();
                        }
                        return metrics(port).contains("vigil_event_subscribers_dropped_total 1\n");
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            assertEquals(200, RawHttp.get(port, "/healthz").status());
        }
    }

    /**
     * A measurement, not a timed assertion: the restart latency over the control socket, with the HTTP server idle
     * and with every HTTP thread held by a slowloris client. Written to target/http-restart-latency.txt.
     */
    @Test
    void restartLatencyWhileSlowClientsHoldTheServer() throws Exception {
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = start(root)) {
            int port = RawHttp.port(daemon);
            ServiceDirs.awaitRunning(web, WAIT);
            double idle = medianRestartMs(20);
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < HttpServer.WORKERS + 8; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port));
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                double held = medianRestartMs(20);
                String report = String.format("restart median over the control socket: %.2f ms with HTTP idle, "
                        + "%.2f ms with %d slow clients holding every HTTP thread%n", idle, held, slow.size());
                System.out.print(report);
                Files.writeString(Path.of("target", "http-restart-latency.txt"), report);
                assertTrue(ServiceDirs.status(web).running());
            } finally {
                for (Socket s : slow) s.close();
            }
        }
    }

    private double medianRestartMs(int runs) throws IOException {
        List<Double> times = new ArrayList<>();
        try (RawControl control = new RawControl(sandbox.resolve("run/control"))) {
            for (int i = 0; i < runs; i++) {
                long began = System.nanoTime();
                control.write("{\"v\":1,\"cmd\":\"restart\",\"name\":\"web\",\"wait\":true,\"timeout\":10}\n");
                Map<String, Object> reply = control.readJson();
                times.add((System.nanoTime() - began) / 1e6);
                assertEquals(true, reply.get("ok"), reply.toString());
            }
        }
        times.sort(null);
        return times.get(times.size() / 2);
    }

    private static int status(int port, String path) {
        try {
            return RawHttp.get(port, path).status();
        } catch (IOException e) {
            return -1;
        }
    }

    static String metrics(int port) {
        try {
            RawHttp.Response r = RawHttp.get(port, "/metrics");
            if (r.status() != 200) throw new IllegalStateException(r.toString());
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
