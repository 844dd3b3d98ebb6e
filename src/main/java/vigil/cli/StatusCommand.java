package vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.control.Json;
import vigil.log.LogQuery;
import vigil.log.LogReader;

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

    /** How many of a unit's last log lines its detail shows, as systemctl status does. */
    private static final int LAST_LINES = 10;

    /** The unit's last lines, read from its log directory here in the client, as systemctl reads the journal. */
    private void printLastLines(Path dir) {
        try {
            var lines = new ByteArrayOutputStream();
            LogReader.print(dir, new LogQuery(LAST_LINES, Long.MIN_VALUE), lines);
            if (lines.size() == 0) return;
            out.println();
            out.print(lines.toString(StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            // Nothing logged yet.
        } catch (IOException e) {
            out.println();
            out.println("  (its log " + dir + " cannot be read: " + e.getMessage() + ")");
        }
    }

    @Override
    int run(ControlClient client) throws IOException, Failed {
        if (!names.isEmpty() && names.stream().allMatch(n -> n.endsWith(".socket"))) {
            // A socket unit has no process: its status is its addresses, state and counts.
            Map<String, Object> reply = expectOk(client, client.request("list-sockets"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sockets = (List<Map<String, Object>>) reply.get("sockets");
            sockets = sockets.stream().filter(s -> names.contains(s.get("unit"))).toList();
            if (sockets.isEmpty()) throw new Failed("no such socket unit: " + String.join(", ", names), 4);
            out.print(json ? Json.write(sockets) + "\n" : ListSocketsCommand.table(sockets, names));
            return OK;
        }
        Map<String, Object> request = client.request("status");
        if (!names.isEmpty()) request.put("names", names);
        Map<String, Object> reply = expectOk(client, request);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> services = (List<Map<String, Object>>) reply.get("services");
        if (json) {
            out.println(Json.write(services));
            return exitCode(services);
        }
        Colours colours = Colours.forOutput(System.getenv());
        if (names.size() == 1) {
            Map<String, Object> s = services.getFirst();
            out.print(StatusText.detail(s, colours));
            if (Boolean.TRUE.equals(s.get("unit")) && s.get("log") instanceof String dir) printLastLines(Path.of(dir));
        } else {
            List<Map<String, Object>> shown = new ArrayList<>(services);
            if (reply.get("refused") instanceof List<?> refused) {
                for (Object r : refused) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> entry = (Map<String, Object>) r;
                    shown.add(entry);
                }
            }
            StringBuilder table = new StringBuilder();
            if (names.isEmpty()) table.append(StatusText.summary(shown)).append('\n');
            table.append(StatusText.HEADER).append('\n');
            for (Map<String, Object> s : shown) table.append(StatusText.row(s, colours)).append('\n');
            out.print(table);
        }
        return exitCode(services);
    }

    private int exitCode(List<Map<String, Object>> services) {
        if (names.isEmpty()) return OK;
        for (Map<String, Object> s : services) {
            if (!StatusText.running(s)) return NOT_RUNNING;
        }
        return OK;
    }
}
