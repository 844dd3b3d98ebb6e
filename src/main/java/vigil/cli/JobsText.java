package vigil.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** The jobs of a start, stop or restart of units, as the daemon's reply lists them: what the command waited on. */
final class JobsText {
    private JobsText() {}

    /** "job 12 start db.service: done", or "...: waiting" for a job still installed. */
    static String line(Map<?, ?> job) {
        Object state = job.get("result") != null ? job.get("result") : job.get("state");
        return "job " + job.get("id") + " " + job.get("type") + " " + job.get("unit") + ": " + state;
    }

    /** The reply's jobs, one a line; nothing for a reply without jobs (a service directory's). */
    static List<String> lines(Map<String, Object> reply) {
        if (!(reply.get("jobs") instanceof List<?> jobs)) return List.of();
        return jobs.stream().map(j -> line((Map<?, ?>) j)).toList();
    }

    /**
     * After a unit's job is done: the jobs when the transaction pulled in more than its own, then where the unit
     * ended up.
     */
    static void report(Map<String, Object> reply, PrintStream out) {
        List<String> jobs = lines(reply);
        if (jobs.size() > 1) jobs.forEach(out::println);
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) reply.get("service");
        out.println(s.get("name") + ": " + StatusText.state(s)
                + (StatusText.number(s, "pid") != 0 ? " (pid " + s.get("pid") + ")" : ""));
    }
}
