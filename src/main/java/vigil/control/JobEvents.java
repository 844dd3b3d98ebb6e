package vigil.control;

import java.util.LinkedHashMap;
import java.util.Map;
import vigil.deps.Job;
import vigil.deps.JobResult;

/**
 * The events of a job's life for subscribers, in the format of the other events: {@code job-queued},
 * {@code job-started} and {@code job-finished} (with its result), each naming the unit as {@code service}.
 */
public final class JobEvents {
    private JobEvents() {}

    public enum Phase { QUEUED, STARTED, FINISHED }

    /** {@code result} only for {@link Phase#FINISHED}. */
    static Map<String, Object> event(Job job, Phase phase, JobResult result) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("v", Protocol.VERSION);
        event.put("event", "job-" + phase.name().toLowerCase(java.util.Locale.ROOT));
        event.put("service", job.unit());
        event.put("time", System.currentTimeMillis());
        event.put("job", job.id());
        event.put("type", job.type().word());
        if (result != null) event.put("result", result.word());
        return event;
    }
}
