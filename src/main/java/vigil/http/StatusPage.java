package vigil.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The page at {@code /}: the service table rendered here (state, pid, uptime, restarts, last exit, readiness, the
 * last lines of its log), crash loops marked, and start, stop and restart buttons. {@code /app.js} keeps it live
 * from {@code /events} and does the buttons' POSTs; nothing is fetched from elsewhere, nothing is built.
 */
final class StatusPage {
    /** Restarts within a run this short, or a service backing off, look like a crash loop. */
    static final long CRASH_LOOP_MS = 10_000;
    static final int LOG_LINES = 3;
    static final String SCRIPT = resource("page.js");
    static final String STYLE = resource("page.css");

    private StatusPage() {}

    /** {@code actionsNeedToken}: over TCP with a token, the page asks for it; over unix the uid decides. */
    static String render(DaemonSnapshot snapshot, Probes.Verdict verdict, String mode, int readerUid) {
        StringBuilder b = new StringBuilder(8192 + snapshot.entries().size() * 600);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>Vigil</title><link rel=\"stylesheet\" href=\"/app.css\"></head>\n<body data-mode=\"")
                .append(escape(mode)).append("\">\n<header><h1>Vigil</h1><span id=\"ready\" class=\"")
                .append(verdict.ready() ? "ok\">ready" : "bad\">not ready").append("</span>")
                .append("<span id=\"live\" class=\"bad\">connecting</span></header>\n");
        if (mode.equals("token")) {
            b.append("<p class=\"token\"><label>Token <input id=\"token\" type=\"password\" autocomplete=\"off\">"
                    + "</label></p>\n");
        } else if (mode.equals("read-only")) {
            b.append("<p class=\"note\">Read-only: start the daemon with --http-token FILE for the buttons.</p>\n");
        }
        b.append("<p id=\"message\" role=\"status\"></p>\n");
        b.append("<table id=\"services\"><thead><tr><th>Service</th><th>State</th><th>PID</th><th>Up for</th>"
                + "<th>Restarts</th><th>Last exit</th><th>Ready</th><th></th></tr></thead><tbody>\n");
        for (Map<String, Object> e : snapshot.entries()) row(b, e, readerUid);
        b.append("</tbody></table>\n<h2>Events</h2><ol id=\"events\"></ol>\n")
                .append("<script src=\"/app.js\"></script>\n</body></html>\n");
        return b.toString();
    }

    private static void row(StringBuilder b, Map<String, Object> e, int readerUid) {
        String name = String.valueOf(e.get("name"));
        String state = String.valueOf(e.get("state"));
        boolean crashLoop = crashLoop(e);
        b.append("<tr data-service=\"").append(escape(name)).append("\" class=\"").append(escape(state))
                .append(crashLoop ? " crashloop" : "").append("\">");
        cell(b, "Service", name);
        b.append("<td data-label=\"State\" class=\"state\">").append(escape(state))
                .append(crashLoop ? " <strong class=\"loop\">crash loop</strong>" : "").append("</td>");
        cell(b, "PID", number(e.get("pid")) > 0 ? String.valueOf(e.get("pid")) : "");
        cell(b, "Up for", number(e.get("pid")) > 0 && e.get("elapsed_ms") != null
                ? duration(number(e.get("elapsed_ms"))) : "");
        cell(b, "Restarts", String.valueOf(e.getOrDefault("restarts", 0)));
        cell(b, "Last exit", lastExit(e.get("last_exit")));
        cell(b, "Ready", Probes.isReady(e) ? "yes" : "no");
        b.append("<td class=\"actions\">");
        for (String action : List.of("start", "stop", "restart")) {
            b.append("<button type=\"button\" data-action=\"").append(action).append("\" data-service=\"")
                    .append(escape(name)).append("\">").append(action).append("</button>");
        }
        b.append("</td></tr>\n");
        if (e.get("log") instanceof String log && LogTail.mayRead(Path.of(log), readerUid)) {
            List<String> lines = LogTail.last(Path.of(log), LOG_LINES);
            if (!lines.isEmpty()) {
                b.append("<tr class=\"log\" data-log-of=\"").append(escape(name)).append("\"><td colspan=\"8\"><pre>");
                for (String line : lines) b.append(escape(line)).append('\n');
                b.append("</pre></td></tr>\n");
            }
        }
    }

    static boolean crashLoop(Map<String, Object> e) {
        if ("backoff".equals(e.get("state"))) return true;
        return number(e.get("restarts")) >= 3 && e.get("elapsed_ms") != null
                && number(e.get("elapsed_ms")) < CRASH_LOOP_MS && !"up".equals(e.get("state"));
    }

    private static void cell(StringBuilder b, String label, String text) {
        b.append("<td data-label=\"").append(label).append("\">").append(escape(text)).append("</td>");
    }

    static String lastExit(Object last) {
        if (!(last instanceof Map<?, ?> m)) return "";
        if (m.get("signal") != null) return String.valueOf(m.get("signal"));
        return m.get("code") == null ? "" : "exit " + m.get("code");
    }

    private static String duration(double millis) {
        long s = (long) (millis / 1000);
        if (s < 120) return s + "s";
        if (s < 7200) return s / 60 + "m";
        if (s < 172800) return s / 3600 + "h";
        return s / 86400 + "d";
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String resource(String name) {
        try (InputStream in = StatusPage.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the jar lacks vigil/http/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
