package vigil.http;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.control.Json;
import vigil.loop.TurnMeter;
import vigil.os.UnixSocket.PeerCredentials;

/** Which request goes where: the routes of {@code --http}, and who may use each. */
final class Endpoints implements HttpServer.Handler {
    /** How long a request waits for the loop before it gets a 503: the loop is stuck, or swamped. */
    static final Duration LOOP_TIMEOUT = Duration.ofSeconds(2);
    private static final String JSON = "application/json";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final LoopBridge bridge;
    private final HttpAuth auth;
    private final EventStream events;
    private final Counters counters;
    private final String pageMode;

    /** The counters the metrics read, gathered where they live. */
    interface Counters {
        MetricsRenderer.Counters read();
    }

    Endpoints(LoopBridge bridge, HttpAuth auth, Counters counters, String pageMode) {
        this.bridge = bridge;
        this.auth = auth;
        this.events = new EventStream(bridge);
        this.counters = counters;
        this.pageMode = pageMode;
    }

    @Override
    public Optional<HttpResponse> handle(HttpRequest request, HttpConnection connection) throws HttpError,
            IOException {
        List<String> path = request.path();
        String first = path.isEmpty() ? "" : path.getFirst();
        boolean post = request.method().equals("POST");
        if (first.equals("api") && path.size() >= 4 && path.get(1).equals("services")) {
            if (!post) return Optional.of(notAllowed("POST"));
            return Optional.of(act(request, connection, String.join("/", path.subList(2, path.size() - 1)),
                    path.getLast()));
        }
        if (!request.method().equals("GET")) {
            return Optional.of(known(path) ? notAllowed("GET") : HttpResponse.text(404, "not found"));
        }
        return switch (path.size() == 1 ? first : path.isEmpty() ? "" : first + "/") {
            case "healthz" -> Optional.of(healthz());
            case "readyz" -> Optional.of(readyz());
            case "readyz/" -> Optional.of(readyz(String.join("/", path.subList(1, path.size()))));
            case "metrics" -> Optional.of(metrics(request));
            case "" -> Optional.of(page(HttpAuth.reader(connection).uid()));
            case "app.js" -> Optional.of(HttpResponse.of(200, "text/javascript; charset=utf-8", StatusPage.SCRIPT));
            case "app.css" -> Optional.of(HttpResponse.of(200, "text/css; charset=utf-8", StatusPage.STYLE));
            case "events" -> events.serve(connection, HttpAuth.reader(connection));
            case "api" -> Optional.of(HttpResponse.text(404, "not found"));
            default -> path.equals(List.of("api", "status")) ? Optional.of(status())
                    : Optional.of(HttpResponse.text(404, "not found"));
        };
    }

    private static boolean known(List<String> path) {
        return path.isEmpty() || List.of("healthz", "readyz", "metrics", "app.js", "app.css", "events")
                .contains(path.getFirst()) || path.equals(List.of("api", "status"));
    }

    private static HttpResponse notAllowed(String allow) {
        return HttpResponse.text(405, "use " + allow).with("Allow", allow);
    }

    /** The loop answers: an empty task, run in turn with everything else it does. */
    private HttpResponse healthz() {
        try {
            bridge.onLoop(() -> Boolean.TRUE, LOOP_TIMEOUT);
            return HttpResponse.text(200, "ok");
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, "the event loop does not answer: " + e.getMessage());
        }
    }

    private HttpResponse readyz() {
        try {
            Probes.Verdict verdict = Probes.daemon(bridge.snapshot(LOOP_TIMEOUT));
            return verdict.ready() ? HttpResponse.text(200, "ready")
                    : HttpResponse.text(503, "not ready:\n" + String.join("\n", verdict.why()));
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
    }

    private HttpResponse readyz(String name) {
        try {
            Optional<Probes.Verdict> verdict = Probes.service(bridge.snapshot(LOOP_TIMEOUT), name);
            if (verdict.isEmpty()) return HttpResponse.text(404, name + ": no such service");
            return verdict.get().ready() ? HttpResponse.text(200, "ready")
                    : HttpResponse.text(503, "not ready: " + String.join("; ", verdict.get().why()));
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
    }

    private HttpResponse metrics(HttpRequest request) {
        boolean openMetrics = MetricsRenderer.wantsOpenMetrics(request.header("accept"));
        try {
            DaemonSnapshot snapshot = bridge.snapshot(LOOP_TIMEOUT);
            return HttpResponse.of(200, openMetrics ? MetricsRenderer.OPEN_METRICS : MetricsRenderer.TEXT,
                    MetricsRenderer.render(snapshot, counters.read(), openMetrics));
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
    }

    /** The page, with the last log lines the reader ({@code readerUid}, -1 over TCP) may read. */
    private HttpResponse page(int readerUid) {
        try {
            DaemonSnapshot snapshot = bridge.snapshot(LOOP_TIMEOUT);
            return HttpResponse.of(200, "text/html; charset=utf-8",
                    StatusPage.render(snapshot, Probes.daemon(snapshot), pageMode, readerUid))
                    .with("Content-Security-Policy", CSP).with("Referrer-Policy", "no-referrer");
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
    }

    /** The status entries for the page's updates, with the page's own judgements added. */
    private HttpResponse status() {
        try {
            DaemonSnapshot snapshot = bridge.snapshot(LOOP_TIMEOUT);
            List<Object> services = new ArrayList<>();
            for (Map<String, Object> e : snapshot.entries()) {
                Map<String, Object> entry = new LinkedHashMap<>(e);
                entry.put("crash_loop", StatusPage.crashLoop(e));
                services.add(entry);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("ready", Probes.daemon(snapshot).ready());
            body.put("services", services);
            return HttpResponse.of(200, JSON, Json.write(body));
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
    }

    /** start, stop or restart: the control socket's request, as the caller {@link HttpAuth} says. */
    private HttpResponse act(HttpRequest request, HttpConnection connection, String service, String action)
            throws HttpError {
        if (!List.of("start", "stop", "restart").contains(action)) {
            return HttpResponse.text(404, "no such action: " + action + " (start, stop or restart)");
        }
        if (service.isEmpty()) return HttpResponse.text(404, "no service named");
        PeerCredentials actor = auth.actor(request, connection);
        Map<String, Object> reply;
        try {
            reply = bridge.request(actor, Map.of("cmd", action, "name", service, "wait", false), LOOP_TIMEOUT);
        } catch (LoopBridge.Busy e) {
            return HttpResponse.text(503, e.getMessage());
        }
        if (Boolean.TRUE.equals(reply.get("ok"))) return HttpResponse.of(200, JSON, Json.write(reply));
        int status = switch (String.valueOf(reply.get("error"))) {
            case "permission-denied" -> 403;
            case "unknown-service" -> 404;
            case "bad-request" -> 400;
            case "shutting-down" -> 503;
            default -> 409;
        };
        return HttpResponse.text(status, String.valueOf(reply.get("message")));
    }

    /** What the metrics count outside the snapshot. */
    static MetricsRenderer.Counters counters(TurnMeter turns, DaemonCounters daemon, LoopBridge bridge,
                                             HttpServer server) {
        return new MetricsRenderer.Counters(turns.read(), daemon.spawns(), daemon.spawnFailures(),
                daemon.controlRequests(), bridge.droppedSubscribers(), OpenFds.count(),
                server == null ? 0 : server.rejected());
    }
}
