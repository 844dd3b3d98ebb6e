package vigil.cli;

import java.util.List;
import java.util.Map;

/** Status entries from the daemon, as people read them: a table row, or a paragraph for one service. */
final class StatusText {
    private StatusText() {}

    static final String HEADER = String.format("%-24s %-10s %8s %9s %8s  %s", "NAME", "STATE", "PID", "UPTIME",
            "RESTARTS", "LAST EXIT");

    static String row(Map<String, Object> s) {
        return String.format("%-24s %-10s %8s %9s %8s  %s", s.get("name"), state(s), pid(s), uptime(s),
                s.get("restarts"), lastExit(s));
    }

    /** Everything about one service, the first line like sv's. */
    static String detail(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        b.append(s.get("name")).append(": ").append(state(s));
        if (number(s, "pid") != 0) b.append(" (pid ").append(s.get("pid")).append(")");
        if (s.get("elapsed_ms") != null) b.append(" for ").append(duration(number(s, "elapsed_ms")));
        if (s.get("restart_in_ms") != null) {
            b.append(", restarting in ").append(duration(number(s, "restart_in_ms")));
        }
        if (Boolean.TRUE.equals(s.get("paused"))) b.append(", paused");
        if (Boolean.TRUE.equals(s.get("got_term"))) b.append(", got TERM");
        b.append('\n');
        line(b, "wanted", s.get("want"));
        line(b, "restarts", s.get("restarts"));
        line(b, "last exit", lastExit(s));
        line(b, "runs as", "uid " + s.get("uid"));
        if (Boolean.TRUE.equals(s.get("transient"))) line(b, "transient", "yes (added over the control socket)");
        if (s.get("directory") != null) line(b, "directory", s.get("directory"));
        if (s.get("command") instanceof List<?> argv) line(b, "command", String.join(" ", argv.stream()
                .map(String::valueOf).toList()));
        return b.toString();
    }

    private static void line(StringBuilder b, String label, Object value) {
        b.append(String.format("  %-10s %s%n", label + ":", value));
    }

    static String state(Map<String, Object> s) {
        return String.valueOf(s.get("state"));
    }

    private static String pid(Map<String, Object> s) {
        long pid = number(s, "pid");
        return pid == 0 ? "-" : Long.toString(pid);
    }

    private static String uptime(Map<String, Object> s) {
        String state = state(s);
        boolean running = state.equals("up") || state.equals("starting") || state.equals("stopping");
        return running && s.get("elapsed_ms") != null ? duration(number(s, "elapsed_ms")) : "-";
    }

    static String lastExit(Map<String, Object> s) {
        if (!(s.get("last_exit") instanceof Map<?, ?> last)) return "-";
        if (last.get("code") != null) return "exited " + last.get("code");
        return "killed by " + last.get("signal");
    }

    /** Whether a service counts as running for exit status 3 (LSB's "not running"). */
    static boolean running(Map<String, Object> s) {
        return number(s, "pid") != 0 && !state(s).equals("finishing");
    }

    static long number(Map<String, Object> s, String key) {
        return s.get(key) instanceof Number n ? n.longValue() : 0;
    }

    /** 45s, 12m03s, 5h02m, 3d04h. */
    static String duration(long millis) {
        long s = millis / 1000;
        if (s < 60) return s + "s";
        if (s < 3600) return String.format("%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}
