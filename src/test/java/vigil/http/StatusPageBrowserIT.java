package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawHttp;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/**
 * The status page in a real headless Chromium: it follows a service that is killed without being reloaded, and its
 * stop button works with the token and is refused without it. A screenshot is kept as target/http-page.png.
 */
class StatusPageBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKEN = "browser-test-token-0123456789abcdef";

    @TempDir
    Path sandbox;

    @Test
    void thePageFollowsAKilledServiceLiveAndItsButtonsNeedTheToken() throws Exception {
        Path chromium = Tools.require("chromium", "chromium");
        Path chromedriver = Tools.require("chromedriver", "chromium-driver");
        Path root = sandbox.resolve("sv");
        Path web = ServiceDirs.service(root, "web", "echo web says hello; exec sleep 1000");
        Files.writeString(sandbox.resolve("token"), TOKEN);
        try (DaemonProcess daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--log-dir",
                DaemonProcess.logDir(sandbox).toString(), "--http", "127.0.0.1:0", "--http-token",
                sandbox.resolve("token").toString(), root.toString())) {
            int port = RawHttp.port(daemon);
            long pid = ServiceDirs.awaitRunning(web, WAIT);
            try (WebDriver browser = WebDriver.start(chromedriver, chromium, sandbox.resolve("profile"))) {
                browser.open("http://127.0.0.1:" + port + "/");
                Await.until("the page live", WAIT, () -> "live".equals(js(browser,
                        "return document.getElementById('live').textContent")));
                assertEquals(String.valueOf(pid), js(browser, cell("web", 2)));
                // Marks this document: a reload would lose it, so the update below is the live one.
                browser.run("window.vigilMark = 'same page'; return null");

                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                long restarted = ServiceDirs.awaitRestarted(web, pid, WAIT);
                Await.until("the page shows the restart", WAIT,
                        () -> "1".equals(js(browser, cell("web", 4)))
                                && String.valueOf(restarted).equals(js(browser, cell("web", 2))));
                assertEquals("SIGKILL", js(browser, cell("web", 5)));
                assertEquals("same page", js(browser, "return window.vigilMark"));
                assertTrue(String.valueOf(js(browser, "return document.getElementById('events').textContent"))
                        .contains("web: exited"), "the event list shows the kill");

                // Without the token: refused, and the service runs on.
                browser.run("document.querySelector('button[data-action=stop][data-service=web]').click(); "
                        + "return null");
                Await.until("the refusal shown", WAIT, () -> String.valueOf(js(browser,
                        "return document.getElementById('message').textContent")).contains("401"));
                assertTrue(ServiceDirs.status(web).running());

                browser.run("const t = document.getElementById('token'); t.value = '" + TOKEN + "'; "
                        + "t.dispatchEvent(new Event('change')); "
                        + "document.querySelector('button[data-action=stop][data-service=web]').click(); return null");
                ServiceDirs.awaitDown(web, WAIT);
                Await.until("the page shows web down", WAIT, () -> "down".equals(js(browser,
                        "return document.querySelector('tr[data-service=web]').className")));
                Files.createDirectories(Path.of("target"));
                Files.write(Path.of("target", "http-page.png"), browser.screenshot());
            }
        }
    }

    /** The text of column {@code index} of the service's row. */
    private static String cell(String service, int index) {
        return "return document.querySelector('tr[data-service=" + service + "]').cells[" + index + "].textContent";
    }

    private static Object js(WebDriver browser, String script) {
        try {
            return browser.run(script);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
