package vigil.control;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.resources.ResourceUsage;
import vigil.service.UnitService;

/** A systemd unit's status entry for the control protocol; see docs/control-protocol.md. */
final class UnitStatus {
    private UnitStatus() {}

    /**
     * With {@code log}, the unit's log directory, for the client to show its last lines; with {@code usage}, what
     * its cgroups use ({@code memory_bytes}, {@code cpu_ns}, {@code tasks}, their limits and {@code oom_kills}).
     */
    static Map<String, Object> describe(UnitService u, long nowNanos, Optional<Path> log,
                                        Optional<ResourceUsage> usage) {
        Map<String, Object> m = describe(u, nowNanos);
        log.ifPresent(dir -> m.put("log", dir.toString()));
        usage.ifPresent(r -> {
            putUsage(m, r);
            m.put("oom_policy", u.spec().resources().oomPolicy().name().toLowerCase(Locale.ROOT));
        });
        return m;
    }

    /** What a service's cgroups use, into its status entry: the same fields for units and service directories. */
    static void putUsage(Map<String, Object> m, ResourceUsage r) {
        r.memoryBytes().ifPresent(v -> m.put("memory_bytes", v));
        r.memoryMax().ifPresent(v -> m.put("memory_max", v));
        r.cpuNanos().ifPresent(v -> m.put("cpu_ns", v));
        r.tasks().ifPresent(v -> m.put("tasks", v));
        r.tasksMax().ifPresent(v -> m.put("tasks_max", v));
        m.put("oom_kills", r.oomKills());
    }

    static Map<String, Object> describe(UnitService u, long nowNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", u.name());
        m.put("unit", true);
        m.put("state", u.state().activeState());
        m.put("sub_state", u.state().subState());
        m.put("result", u.result().systemdName());
        m.put("pid", u.mainPid());
        m.put("control_pid", u.controlPid());
        m.put("elapsed_ms", Math.max(0, (nowNanos - u.stateSince()) / 1_000_000));
        m.put("want", u.want().name().toLowerCase(Locale.ROOT));
        m.put("restarts", u.restarts());
        m.put("type", u.spec().type().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        m.put("loaded_from", u.spec().source().toString());
        if (u.spec().critical()) m.put("critical", true);
        m.put("status_text", u.statusText());
        u.errno().ifPresent(e -> m.put("errno", e));
        m.put("last_exit", u.lastMainExit().map(UnitStatus::exit).orElse(null));
        m.put("command", u.spec().commands(vigil.model.UnitSpec.Phase.START).stream()
                .map(c -> c.command().display()).toList());
        return m;
    }

    private static Map<String, Object> exit(ExitStatus status) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (status.exited()) m.put("code", status.code());
        else m.put("signal", Signals.name(status.signal()));
        return m;
    }
}
