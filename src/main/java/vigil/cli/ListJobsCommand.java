package vigil.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import vigil.control.ControlClient;

@Command(name = "list-jobs", description = "List the jobs the daemon's engine has installed, as systemctl "
        + "list-jobs does: JOB UNIT TYPE STATE, where STATE is running (acting on its unit) or waiting (for the "
        + "jobs it is ordered after).")
final class ListJobsCommand extends ClientCommand {
    @Override
    int run(ControlClient client) throws IOException, Failed {
        Map<String, Object> reply = expectOk(client, client.request("jobs"));
        List<Map<?, ?>> jobs = new ArrayList<>();
        if (reply.get("jobs") instanceof List<?> list) for (Object j : list) jobs.add((Map<?, ?>) j);
        format(jobs).forEach(out::println);
        return OK;
    }

    static List<String> format(List<Map<?, ?>> jobs) {
        if (jobs.isEmpty()) return List.of("No jobs running.");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("JOB", "UNIT", "TYPE", "STATE"));
        for (Map<?, ?> j : jobs) {
            rows.add(List.of(String.valueOf(j.get("id")), String.valueOf(j.get("unit")), String.valueOf(j.get("type")),
                    String.valueOf(j.get("state"))));
        }
        List<String> out = new ArrayList<>(UnitEntries.table(rows, true));
        out.add("");
        out.add(jobs.size() + " jobs listed.");
        return out;
    }
}
