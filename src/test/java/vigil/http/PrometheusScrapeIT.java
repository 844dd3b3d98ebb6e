package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.Json;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawHttp;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** A real Prometheus scrapes {@code /metrics} on loopback, and its query for the restarts has the right count. */
class PrometheusScrapeIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path sandbox;

    @Test
    void prometheusCountsTheRestarts() throws Exception {
        Path prometheus = Tools.require("prometheus", "prometheus");
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "exec sleep 1000");
        try (DaemonProcess daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--http", "127.0.0.1:0", root.toString())) {
            int port = RawHttp.port(daemon);
            long pid = ServiceDirs.awaitRunning(web, WAIT);
            for (int i = 0; i < 3; i++) {
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                pid = ServiceDirs.awaitRestarted(web, pid, WAIT);
            }
            Path config = sandbox.resolve("prometheus.yml");
            Files.writeString(config, "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigil\n"
                    + "    static_configs:\n      - targets: ['127.0.0.1:" + port + "']\n");
            int webPort;
            try (ServerSocket free = new ServerSocket(0)) {
                webPort = free.getLocalPort();
            }
            Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + sandbox.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + webPort)
                    .redirectErrorStream(true).redirectOutput(sandbox.resolve("prometheus.log").toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                String query = "http://127.0.0.1:" + webPort + "/api/v1/query?query=" + URLEncoder.encode(
                        "vigil_service_restarts_total{service=\"web\"}", StandardCharsets.UTF_8);
                String value = Await.value("Prometheus's answer", WAIT, () -> {
                    try {
                        HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create(query)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        return reply.statusCode() == 200 ? sampleValue(reply.body()) : null;
                    } catch (IOException | InterruptedException e) {
                        return null;
                    }
                });
                assertEquals("3", value);
            } finally {
                server.destroy();
                if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) server.destroyForcibly();
            }
        }
    }

    /** The value of the query's one sample, or null while there is none. */
    @SuppressWarnings("unchecked")
    private static String sampleValue(String body) {
        try {
            Map<String, Object> json = (Map<String, Object>) Json.parse(body);
            List<Object> result = (List<Object>) ((Map<String, Object>) json.get("data")).get("result");
            if (result.isEmpty()) return null;
            List<Object> value = (List<Object>) ((Map<String, Object>) result.getFirst()).get("value");
            return String.valueOf(value.get(1));
        } catch (Json.ParseException | RuntimeException e) {
            return null;
        }
    }
}
