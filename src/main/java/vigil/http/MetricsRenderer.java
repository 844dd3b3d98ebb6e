package vigil.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import vigil.cgroup.CgroupStatus;
import vigil.loop.TurnMeter;

/**
 * {@code /metrics}: Prometheus's text format 0.0.4, or OpenMetrics 1.0 when the scraper asks for it. Rendered on
 * an HTTP thread from a {@link DaemonSnapshot}; the cgroups' files are read here too, never on the loop.
 *
 * <p>Per service, labelled {@code service} (the status entry's name: {@code web}, {@code web/log},
 * {@code nginx.service}): state, readiness, restarts, start time, last exit, seconds left in backoff, CPU, memory
 * and tasks of its cgroup, bytes and lines logged. For the daemon: services by state, the loop's turn latency,
 * open fds, spawns, spawn failures, control requests, dropped event subscribers.
 */
final class MetricsRenderer {
    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** What the rest of the daemon counts, read as the page is rendered. */
    record Counters(TurnMeter.Reading turns, long spawns, long spawnFailures, long controlRequests,
                    long droppedSubscribers, long openFds, long httpRejected) {}

    private final boolean openMetrics;
    private final StringBuilder out;

    private MetricsRenderer(boolean openMetrics, int services) {
        this.openMetrics = openMetrics;
        this.out = new StringBuilder(4096 + services * 1024);
    }

    /** Whether the Accept header asks for OpenMetrics. */
    static boolean wantsOpenMetrics(Optional<String> accept) {
        return accept.map(a -> a.toLowerCase(Locale.ROOT).contains("application/openmetrics-text")).orElse(false);
    }

    static String render(DaemonSnapshot snapshot, Counters counters, boolean openMetrics) {
        MetricsRenderer r = new MetricsRenderer(openMetrics, snapshot.entries().size());
        r.services(snapshot);
        r.daemon(snapshot, counters);
        if (openMetrics) r.out.append("# EOF\n");
        return r.out.toString();
    }

    private void services(DaemonSnapshot snapshot) {
        Map<String, DaemonView.ServiceFacts> facts = new HashMap<>();
        for (DaemonView.ServiceFacts f : snapshot.facts()) facts.put(f.name(), f);
        List<Map<String, Object>> entries = snapshot.entries();
        List<Optional<CgroupStatus.Usage>> usage = new ArrayList<>(entries.size());
        for (Map<String, Object> e : entries) {
            usage.add(Optional.ofNullable(facts.get(name(e))).flatMap(DaemonView.ServiceFacts::cgroup)
                    .filter(dir -> java.nio.file.Files.isDirectory(dir)).map(CgroupStatus::usage));
        }
        double now = snapshot.takenAtMillis() / 1000.0;

        family("vigil_service_state", "gauge", "", "The service's state (1 for the state it is in).");
        for (Map<String, Object> e : entries) {
            sample("vigil_service_state", labels(e, "state", stateOf(e)), 1);
        }
        family("vigil_service_ready", "gauge", "", "1 if the service is up and ready, else 0.");
        for (Map<String, Object> e : entries) sample("vigil_service_ready", labels(e), Probes.isReady(e) ? 1 : 0);
        family("vigil_service_restarts", "counter", "", "Restarts since Vigil began supervising the service.");
        for (Map<String, Object> e : entries) {
            sample("vigil_service_restarts_total", labels(e), number(e.get("restarts")));
        }
        family("vigil_service_start_time_seconds", "gauge", "seconds",
                "When the service's current run began (Unix time); only while it runs.");
        for (Map<String, Object> e : entries) {
            if (number(e.get("pid")) > 0 && e.get("elapsed_ms") != null) {
                sample("vigil_service_start_time_seconds", labels(e), now - number(e.get("elapsed_ms")) / 1000.0);
            }
        }
        family("vigil_service_last_exit_code", "gauge", "", "The exit code of the service's last exit.");
        for (Map<String, Object> e : entries) {
            if (e.get("last_exit") instanceof Map<?, ?> last && last.get("code") != null) {
                sample("vigil_service_last_exit_code", labels(e), number(last.get("code")));
            }
        }
        family("vigil_service_last_exit_signal", "gauge", "",
                "1, labelled with the signal that ended the service's last run, if a signal did.");
        for (Map<String, Object> e : entries) {
            if (e.get("last_exit") instanceof Map<?, ?> last && last.get("signal") != null) {
                sample("vigil_service_last_exit_signal", labels(e, "signal", String.valueOf(last.get("signal"))), 1);
            }
        }
        family("vigil_service_backoff_seconds", "gauge", "seconds",
                "Seconds until the service is started again, while it backs off after a crash; else 0.");
        for (Map<String, Object> e : entries) {
            sample("vigil_service_backoff_seconds", labels(e), number(e.get("restart_in_ms")) / 1000.0);
        }
        family("vigil_service_cpu_seconds", "counter", "seconds", "CPU time of the service's cgroup.");
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> e = entries.get(i);
            double cpu = usage.get(i).map(u -> u.cpuUsec() / 1e6).orElse(-1.0);
            if (cpu < 0 && e.get("cpu_ns") != null) cpu = number(e.get("cpu_ns")) / 1e9;
            if (cpu >= 0) sample("vigil_service_cpu_seconds_total", labels(e), cpu);
        }
        family("vigil_service_memory_bytes", "gauge", "bytes", "Memory of the service's cgroup (memory.current).");
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> e = entries.get(i);
            double memory = usage.get(i).map(u -> (double) u.memoryBytes()).orElse(-1.0);
            if (memory < 0 && e.get("memory_bytes") != null) memory = number(e.get("memory_bytes"));
            if (memory >= 0) sample("vigil_service_memory_bytes", labels(e), memory);
        }
        family("vigil_service_tasks", "gauge", "", "Processes and threads in the service's cgroup.");
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> e = entries.get(i);
            double tasks = usage.get(i).map(u -> (double) u.tasks()).orElse(-1.0);
            if (tasks < 0 && e.get("tasks") != null) tasks = number(e.get("tasks"));
            if (tasks >= 0) sample("vigil_service_tasks", labels(e), tasks);
        }
        family("vigil_service_log_bytes", "counter", "bytes", "Bytes of output Vigil logged for the service.");
        for (Map<String, Object> e : entries) {
            DaemonView.ServiceFacts f = facts.get(name(e));
            if (f != null) sample("vigil_service_log_bytes_total", labels(e), f.logBytes());
        }
        family("vigil_service_log_lines", "counter", "", "Lines of output Vigil logged for the service.");
        for (Map<String, Object> e : entries) {
            DaemonView.ServiceFacts f = facts.get(name(e));
            if (f != null) sample("vigil_service_log_lines_total", labels(e), f.logLines());
        }
    }

    private void daemon(DaemonSnapshot snapshot, Counters c) {
        Map<String, Integer> byState = new TreeMap<>();
        for (String state : List.of("up", "starting", "stopping", "finishing", "down", "backoff")) byState.put(state, 0);
        for (Map<String, Object> e : snapshot.entries()) byState.merge(stateOf(e), 1, Integer::sum);
        family("vigil_services", "gauge", "", "Services by state.");
        for (Map.Entry<String, Integer> s : byState.entrySet()) {
            sample("vigil_services", "{state=\"" + escape(s.getKey()) + "\"}", s.getValue());
        }
        family("vigil_loop_turn_seconds", "histogram", "seconds",
                "How long the event loop's turns take, from its wake-up to its next wait.");
        long cumulative = 0;
        long[] counts = c.turns().counts();
        for (int i = 0; i < counts.length; i++) {
            cumulative += counts[i];
            String le = i < TurnMeter.BOUNDS_SECONDS.length ? format(TurnMeter.BOUNDS_SECONDS[i]) : "+Inf";
            sample("vigil_loop_turn_seconds_bucket", "{le=\"" + le + "\"}", cumulative);
        }
        sample("vigil_loop_turn_seconds_count", "", cumulative);
        sample("vigil_loop_turn_seconds_sum", "", c.turns().sumSeconds());
        family("vigil_open_fds", "gauge", "", "File descriptors the daemon has open.");
        sample("vigil_open_fds", "", c.openFds());
        family("vigil_spawns", "counter", "", "Service processes spawned.");
        sample("vigil_spawns_total", "", c.spawns());
        family("vigil_spawn_failures", "counter", "", "Spawns that failed (fork, exec or the process's set-up).");
        sample("vigil_spawn_failures_total", "", c.spawnFailures());
        family("vigil_control_requests", "counter", "", "Requests received on the control socket.");
        sample("vigil_control_requests_total", "", c.controlRequests());
        family("vigil_event_subscribers_dropped", "counter", "",
                "Event subscribers (control socket and HTTP streams) dropped for not reading.");
        sample("vigil_event_subscribers_dropped_total", "", c.droppedSubscribers());
        family("vigil_http_rejected_connections", "counter", "",
                "HTTP connections turned away with a 503 while every HTTP thread was busy.");
        sample("vigil_http_rejected_connections_total", "", c.httpRejected());
        family("vigil_ready", "gauge", "", "1 if /readyz says ready, else 0.");
        sample("vigil_ready", "", Probes.daemon(snapshot).ready() ? 1 : 0);
    }

    /**
     * HELP and TYPE; a counter's family is named without {@code _total} in OpenMetrics and with it in the text
     * format, where the samples' name is the family's.
     */
    private void family(String name, String type, String unit, String help) {
        String shown = !openMetrics && type.equals("counter") ? name + "_total" : name;
        out.append("# HELP ").append(shown).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(shown).append(' ').append(type).append('\n');
        if (openMetrics && !unit.isEmpty()) out.append("# UNIT ").append(shown).append(' ').append(unit).append('\n');
    }

    private void sample(String name, String labels, double value) {
        out.append(name).append(labels).append(' ').append(format(value)).append('\n');
    }

    private static String labels(Map<String, Object> e) {
        return "{service=\"" + escape(name(e)) + "\"}";
    }

    private static String labels(Map<String, Object> e, String label, String value) {
        return "{service=\"" + escape(name(e)) + "\"," + label + "=\"" + escape(value) + "\"}";
    }

    /** A unit's active state, or a directory's state word; "failed" units keep theirs. */
    static String stateOf(Map<String, Object> e) {
        return String.valueOf(e.get("state"));
    }

    private static String name(Map<String, Object> e) {
        return String.valueOf(e.get("name"));
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    private static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) return Long.toString((long) value);
        // Plain digits (0.00025, not 2.5E-4): easier on the eye, and either form parses.
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** Label values escape backslash, double quote and newline, as both formats say. */
    static String escape(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
