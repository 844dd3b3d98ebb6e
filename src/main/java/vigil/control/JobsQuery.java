package vigil.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vigil.deps.Job;
import vigil.deps.JobEngine;

/** The {@code jobs} request: the installed jobs, in the order they were installed, as systemctl list-jobs shows. */
final class JobsQuery {
    private JobsQuery() {}

    static Map<String, Object> reply(Object id, JobEngine engine) {
        List<Object> jobs = new ArrayList<>();
        for (Job j : engine.jobs()) jobs.add(describe(j));
        Map<String, Object> reply = Protocol.ok(id);
        reply.put("jobs", jobs);
        return reply;
    }

    /** One job: its id, unit, type, and whether it runs or waits (systemd's "running" and "waiting"). */
    static Map<String, Object> describe(Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("unit", j.unit());
        m.put("type", j.type().word());
        m.put("state", j.result().isPresent() ? "done" : j.running() ? "running" : "waiting");
        j.result().ifPresent(r -> m.put("result", r.word()));
        return m;
    }
}
