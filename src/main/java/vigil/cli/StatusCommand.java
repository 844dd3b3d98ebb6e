package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.control.Json;

@Command(name = "status", description = {"Show every service, or the NAMEs: state, pid, uptime, restarts, last exit.",
        "One NAME shows everything about it. Exits 3 if a NAME is not running, 4 if it is unknown."})
final class StatusCommand extends ClientCommand {
    @Option(names = "--json", description = "print the daemon's status entries as JSON")
    boolean json;

    @Parameters(paramLabel = "NAME", arity = "0..*", description = "services to show (default: all)")
    List<String> names = List.of();

    /**
     * The command for {@code status [--json] [--control PATH] [--] [NAME...]} parsed without picocli, or null if
     * the arguments hold anything else (help, a typo), which picocli then handles and reports.
     */
    static StatusCommand parsePlain(String[] args) {
        StatusCommand command = new StatusCommand();
        List<String> names = new ArrayList<>();
        boolean options = true;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (options && a.equals("--")) {
                options = false;
            } else if (options && a.equals("--json")) {
                command.json = true;
            } else if (options && a.equals("--control") && i + 1 < args.length) {
                command.control = Path.of(args[++i]);
            } else if (options && a.startsWith("--control=")) {
                command.control = Path.of(a.substring("--control=".length()));
            } else if (options && a.startsWith("-")) {
                return null;
            } else {
                names.add(a);
            }
        }
        command.names = names;
        return command;
    }

    @Override
    int run(ControlClient client) throws IOException, Failed {
        Map<String, Object> request = client.request("status");
        if (!names.isEmpty()) request.put("names", names);
        Map<String, Object> reply = expectOk(client, request);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> services = (List<Map<String, Object>>) reply.get("services");
        if (json) {
            out.println(Json.write(services));
        } else if (names.size() == 1) {
            out.print(StatusText.detail(services.getFirst()));
        } else {
            StringBuilder table = new StringBuilder(StatusText.HEADER).append('\n');
            for (Map<String, Object> s : services) table.append(StatusText.row(s)).append('\n');
            out.print(table);
        }
        if (names.isEmpty()) return OK;
        for (Map<String, Object> s : services) {
            if (!StatusText.running(s)) return NOT_RUNNING;
        }
        return OK;
    }
}
