package vigil.cli;

import java.util.List;
import java.util.Map;

/** Status entries from the daemon, as people read them: a table row, or a paragraph for one service. */
final class StatusText {
    private StatusText() {}

    /** What a critical service's mark means, in status. */
    static final String CRITICAL = "yes (its end for good stops the daemon, which exits with its code)";

    static final String HEADER = row("NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT");

    static String row(Map<String, Object> s) {
        return row(s, Colours.NONE);
    }

    /**
     * One service's line: a crash loop shows as such in STATE; the last column has the last exit and, when there
     * is one, the last error in words (or why it was refused).
     */
    static String row(Map<String, Object> s, Colours colours) {
        if (refused(s)) return row(String.valueOf(s.get("name")), "refused", "-", "-", "-", String.valueOf(s.get("reason")), colours);
        String restarts = String.valueOf(s.get("restarts"));
        if (number(s, "recent_restarts") > 0) restarts += " (" + s.get("recent_restarts") + "/min)";
        String last = lastExit(s);
        if (s.get("last_error") instanceof String error) last = last.equals("-") ? error : last + "; " + error;
        return row(String.valueOf(s.get("name")), shownState(s), pid(s), uptime(s), restarts, last, colours);
    }

    private static String row(String name, String state, String pid, String uptime, String restarts, String last) {
        return row(name, state, pid, uptime, restarts, last, Colours.NONE);
    }

    /** Padded by hand: String.format's parser costs start-up time the rest of the command does not. */
    private static String row(String name, String state, String pid, String uptime, String restarts, String last,
                              Colours colours) {
        StringBuilder b = new StringBuilder(96);
        left(b, name, 24).append(' ');
        b.append(colours.state(state, state));
        for (int i = state.length(); i < 10; i++) b.append(' ');
        b.append(' ');
        right(b, pid, 8).append(' ');
        right(b, uptime, 9).append(' ');
        right(b, restarts, 8).append("  ");
        return b.append(last).toString();
    }

    private static StringBuilder left(StringBuilder b, String text, int width) {
        b.append(text);
        for (int i = text.length(); i < width; i++) b.append(' ');
        return b;
    }

    private static StringBuilder right(StringBuilder b, String text, int width) {
        for (int i = text.length(); i < width; i++) b.append(' ');
        return b.append(text);
    }

    /**
     * The line above the table: how many run, failed (a failed unit, a service wanted up that does not run),
     * are refused, and loop.
     */
    static String summary(List<Map<String, Object>> entries) {
        int running = 0, failed = 0, refused = 0, looping = 0;
        for (Map<String, Object> s : entries) {
            if (refused(s)) refused++;
            else if (running(s)) running++;
            else if (failed(s)) failed++;
            if (Boolean.TRUE.equals(s.get("crash_loop"))) looping++;
        }
        return running + " running, " + failed + " failed, " + refused + " refused"
                + (looping > 0 ? ", " + looping + " in a crash loop" : "");
    }

    private static boolean failed(Map<String, Object> s) {
        if (Boolean.TRUE.equals(s.get("unit"))) return state(s).equals("failed");
        return "up".equals(s.get("want")) && number(s, "pid") == 0;
    }

    static boolean refused(Map<String, Object> s) {
        return Boolean.TRUE.equals(s.get("refused"));
    }

    /** The state, or {@code crash-loop} for one that restarted too often in the last minute. */
    private static String shownState(Map<String, Object> s) {
        return Boolean.TRUE.equals(s.get("crash_loop")) ? "crash-loop" : state(s);
    }

    static String detail(Map<String, Object> s) {
        return detail(s, Colours.NONE);
    }

    /** Everything about one service, the first line like sv's; a unit's like systemctl status. */
    static String detail(Map<String, Object> s, Colours colours) {
        if (refused(s)) {
            return s.get("name") + ": " + colours.state("refused", "refused") + "\n  reason:    " + s.get("reason")
                    + "\n";
        }
        if (Boolean.TRUE.equals(s.get("unit"))) return unitDetail(s, colours);
        StringBuilder b = new StringBuilder();
        b.append(s.get("name")).append(": ").append(colours.state(shownState(s), shownState(s)));
        if (number(s, "pid") != 0) b.append(" (pid ").append(s.get("pid")).append(")");
        if (s.get("elapsed_ms") != null) b.append(" for ").append(duration(number(s, "elapsed_ms")));
        if (s.get("restart_in_ms") != null) {
            b.append(", restarting in ").append(duration(number(s, "restart_in_ms")));
        }
        if (Boolean.TRUE.equals(s.get("paused"))) b.append(", paused");
        if (Boolean.TRUE.equals(s.get("got_term"))) b.append(", got TERM");
        b.append('\n');
        line(b, "wanted", s.get("want"));
        line(b, "restarts", restarts(s));
        line(b, "last exit", lastExit(s));
        lastError(b, "last error", s);
        line(b, "runs as", "uid " + s.get("uid"));
        if (Boolean.TRUE.equals(s.get("transient"))) line(b, "transient", "yes (added over the control socket)");
        if (Boolean.TRUE.equals(s.get("critical"))) line(b, "critical", CRITICAL);
        if (s.get("directory") != null) line(b, "directory", s.get("directory"));
        if (s.get("command") instanceof List<?> argv) {
            StringBuilder command = new StringBuilder();
            for (Object arg : argv) command.append(command.isEmpty() ? "" : " ").append(arg);
            line(b, "command", command);
        }
        resources(b, s);
        cgroup(b, s);
        return b.toString();
    }

    /** The cgroup, its numbers and its process tree, as systemctl status shows them. */
    private static void cgroup(StringBuilder b, Map<String, Object> s) {
        if (!(s.get("cgroup") instanceof Map<?, ?> c)) return;
        StringBuilder numbers = new StringBuilder();
        if (c.get("tasks") instanceof Number n) numbers.append(n).append(" tasks");
        if (c.get("memory_bytes") instanceof Number n) {
            numbers.append(numbers.isEmpty() ? "" : ", ").append(n.longValue() / 1024).append("K memory");
        }
        if (c.get("cpu_usec") instanceof Number n) {
            numbers.append(numbers.isEmpty() ? "" : ", ").append(n.longValue() / 1000).append("ms CPU");
        }
        if (!numbers.isEmpty()) line(b, "Tasks", numbers);
        line(b, "CGroup", c.get("path"));
        if (!(c.get("processes") instanceof List<?> processes)) return;
        java.util.Set<Long> pids = new java.util.HashSet<>();
        for (Object p : processes) if (p instanceof Map<?, ?> m) pids.add(number(m, "pid"));
        for (Object p : processes) {
            // The roots: processes whose parent is outside the cgroup (Vigil, or init for a double-forked one).
            if (p instanceof Map<?, ?> m && !pids.contains(number(m, "ppid"))) tree(b, processes, m, 1);
        }
    }

    private static void tree(StringBuilder b, List<?> processes, Map<?, ?> process, int depth) {
        b.append("  ".repeat(depth + 5)).append("└─").append(process.get("pid")).append(' ')
                .append(process.get("command")).append('\n');
        for (Object p : processes) {
            if (p instanceof Map<?, ?> m && number(m, "ppid") == number(process, "pid")) tree(b, processes, m, depth + 1);
        }
    }

    /** The restarts, and how many were in the last minute. */
    private static String restarts(Map<String, Object> s) {
        long recent = number(s, "recent_restarts");
        if (recent == 0) return String.valueOf(s.get("restarts"));
        return s.get("restarts") + " (" + recent + " in the last minute"
                + (Boolean.TRUE.equals(s.get("crash_loop")) ? ": a crash loop)" : ")");
    }

    private static void lastError(StringBuilder b, String label, Map<String, Object> s) {
        if (!(s.get("last_error") instanceof String error)) return;
        String ago = s.get("last_error_ms") instanceof Number at
                ? " (" + duration(Math.max(0, System.currentTimeMillis() - at.longValue())) + " ago)" : "";
        line(b, label, error + ago);
    }

    private static String unitDetail(Map<String, Object> s, Colours colours) {
        StringBuilder b = new StringBuilder();
        b.append(s.get("name")).append('\n');
        line(b, "Loaded", "from " + s.get("loaded_from") + " (Type=" + s.get("type") + ")");
        if (Boolean.TRUE.equals(s.get("critical"))) line(b, "Critical", CRITICAL);
        String since = s.get("elapsed_ms") != null ? " for " + duration(number(s, "elapsed_ms")) : "";
        String result = "success".equals(s.get("result")) ? "" : " (Result: " + s.get("result") + ")";
        line(b, "Active", colours.state(shownState(s), shownState(s) + " (" + s.get("sub_state") + ")") + result
                + since);
        if (number(s, "pid") != 0) line(b, "Main PID", s.get("pid"));
        if (number(s, "control_pid") != 0) line(b, "Control", s.get("control_pid"));
        if (s.get("status_text") instanceof String text && !text.isEmpty()) line(b, "Status", "\"" + text + "\"");
        if (s.get("errno") != null) line(b, "Errno", s.get("errno"));
        line(b, "Last exit", lastExit(s));
        lastError(b, "Error", s);
        line(b, "Restarts", restarts(s));
        resources(b, s);
        if (s.get("command") instanceof List<?> commands) {
            for (Object c : commands) line(b, "ExecStart", c);
        }
        cgroup(b, s);
        return b.toString();
    }

    /** What the unit's cgroups use, as systemctl status shows it: {@code Memory: 12.0M (max: 50.0M)}. */
    private static void resources(StringBuilder b, Map<String, Object> s) {
        if (s.get("memory_bytes") != null) {
            line(b, "Memory", bytes(number(s, "memory_bytes"))
                    + (s.get("memory_max") != null ? " (max: " + bytes(number(s, "memory_max")) + ")" : ""));
        }
        if (s.get("tasks") != null) {
            line(b, "Tasks", s.get("tasks") + (s.get("tasks_max") != null ? " (limit: " + s.get("tasks_max") + ")"
                    : ""));
        }
        if (s.get("cpu_ns") != null) line(b, "CPU", cpuTime(number(s, "cpu_ns")));
        if (s.get("oom_kills") != null && number(s, "oom_kills") > 0) {
            line(b, "OOM kills", s.get("oom_kills") + (s.get("oom_policy") != null ? " (OOMPolicy=" + s.get("oom_policy")
                    + ")" : ""));
        }
    }

    /** CPU time as systemctl status shows it: {@code 120ms}, {@code 1.234s}. */
    static String cpuTime(long nanos) {
        long millis = nanos / 1_000_000;
        return millis < 1000 ? millis + "ms" : String.format(java.util.Locale.ROOT, "%.3fs", millis / 1000.0);
    }

    /** systemd's format_bytes(): 1024-based, one decimal, B K M G T. */
    static String bytes(long n) {
        String[] units = {"B", "K", "M", "G", "T", "P"};
        double v = n;
        int i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? n + "B" : String.format(java.util.Locale.ROOT, "%.1f%s", v, units[i]);
    }

    private static void line(StringBuilder b, String label, Object value) {
        left(b.append("  "), label + ":", 10).append(' ').append(value).append('\n');
    }

    static String state(Map<String, Object> s) {
        return String.valueOf(s.get("state"));
    }

    private static String pid(Map<String, Object> s) {
        long pid = number(s, "pid");
        return pid == 0 ? "-" : Long.toString(pid);
    }

    /** How long it has run; a unit's elapsed time is its time in its state, so only while active or on its way. */
    private static String uptime(Map<String, Object> s) {
        boolean running = switch (state(s)) {
            case "up", "starting", "stopping", "active", "reloading", "deactivating" -> true;
            default -> false;
        };
        return running && s.get("elapsed_ms") != null ? duration(number(s, "elapsed_ms")) : "-";
    }

    static String lastExit(Map<String, Object> s) {
        if (!(s.get("last_exit") instanceof Map<?, ?> last)) return "-";
        if (last.get("code") != null) return "exited " + last.get("code");
        return "killed by " + last.get("signal");
    }

    /** Whether a service counts as running for exit status 3 (LSB's "not running"). */
    static boolean running(Map<String, Object> s) {
        if (Boolean.TRUE.equals(s.get("unit"))) return state(s).equals("active") || state(s).equals("reloading");
        return number(s, "pid") != 0 && !state(s).equals("finishing");
    }

    static long number(Map<?, ?> s, String key) {
        return s.get(key) instanceof Number n ? n.longValue() : 0;
    }

    /** 45s, 12m03s, 5h02m, 3d04h. */
    static String duration(long millis) {
        long s = millis / 1000;
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m" + twoDigits(s % 60) + "s";
        if (s < 86400) return s / 3600 + "h" + twoDigits(s % 3600 / 60) + "m";
        return s / 86400 + "d" + twoDigits(s % 86400 / 3600) + "h";
    }

    private static String twoDigits(long n) {
        return n < 10 ? "0" + n : Long.toString(n);
    }
}
