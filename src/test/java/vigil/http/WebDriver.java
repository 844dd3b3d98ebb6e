package vigil.http;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import vigil.control.Json;
import vigil.testing.Await;

/**
 * Headless Chromium through chromedriver, spoken to over loopback with the W3C WebDriver protocol's JSON: a
 * session, a page, scripts run in it, a screenshot. Small enough that the tests need no Selenium.
 */
final class WebDriver implements AutoCloseable {
    private final Process driver;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String session;

    private WebDriver(Process driver, String base, String session) {
        this.driver = driver;
        this.base = base;
        this.session = session;
    }

    static WebDriver start(Path chromedriver, Path chromium, Path profile) throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process driver = new ProcessBuilder(chromedriver.toString(), "--port=" + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        try {
            Await.until("chromedriver up", Duration.ofSeconds(30), () -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                } catch (IOException | InterruptedException e) {
                    return false;
                }
            });
            Map<String, Object> options = Map.of("binary", chromium.toString(), "args", List.of("--headless=new",
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=420,900",
                    "--user-data-dir=" + profile));
            Map<String, Object> caps = Map.of("capabilities", Map.of("alwaysMatch",
                    Map.of("browserName", "chrome", "goog:chromeOptions", options)));
            Map<String, Object> reply = call(http, "POST", base + "/session", caps);
            @SuppressWarnings("unchecked")
            String session = String.valueOf(((Map<String, Object>) reply.get("value")).get("sessionId"));
            return new WebDriver(driver, base, session);
        } catch (RuntimeException | IOException e) {
            driver.destroyForcibly();
            throw e;
        }
    }

    void open(String url) throws IOException {
        call(http, "POST", base + "/session/" + session + "/url", Map.of("url", url));
    }

    /** Runs {@code script} (a function body; {@code return} gives its value) in the page. */
    Object run(String script) throws IOException {
        return call(http, "POST", base + "/session/" + session + "/execute/sync",
                Map.of("script", script, "args", List.of())).get("value");
    }

    /** A PNG of the window. */
    byte[] screenshot() throws IOException {
        Object value = call(http, "GET", base + "/session/" + session + "/screenshot", null).get("value");
        return java.util.Base64.getDecoder().decode(String.valueOf(value));
    }

    @Override
    public void close() {
        try {
            call(http, "DELETE", base + "/session/" + session, null);
        } catch (IOException | RuntimeException e) {
            // The driver goes anyway.
        }
        driver.destroyForcibly();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> call(HttpClient http, String method, String url, Object body)
            throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)))
                        .header("Content-Type", "application/json");
        try {
            HttpResponse<String> reply = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Object> json = (Map<String, Object>) Json.parse(reply.body());
            if (reply.statusCode() != 200) throw new IllegalStateException(method + " " + url + ": " + reply.body());
            return json;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (Json.ParseException e) {
            throw new IOException(e);
        }
    }
}
