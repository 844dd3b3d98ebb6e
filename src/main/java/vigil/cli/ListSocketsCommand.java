package vigil.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vigil.control.ControlClient;
import vigil.control.Json;

/** {@code vigil list-sockets}: every socket unit's addresses, what each activates, and its counts. */
@Command(name = "list-sockets", description = "List the socket units' listening addresses: the unit, what it "
        + "activates, its state, the connections accepted (activations with Accept=no) and those running.")
final class ListSocketsCommand extends ClientCommand {
    @Option(names = "--json", description = "Print the daemon's answer as JSON.")
    boolean json;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        Map<String, Object> reply = expectOk(client, client.request("list-sockets"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> sockets = (List<Map<String, Object>>) reply.get("sockets");
        if (json) out.println(Json.write(sockets));
        else out.print(table(sockets, List.of()));
        return OK;
    }

    /** The table of {@code sockets}, only of the units in {@code units} if any are given. */
    static String table(List<Map<String, Object>> sockets, List<String> units) {
        String format = "%-30s %-22s %-20s %-24s %-10s %8s %6s%n";
        var text = new StringBuilder(String.format(format, "LISTEN", "TYPE", "UNIT", "ACTIVATES", "STATE",
                "ACCEPTED", "CONNS"));
        for (Map<String, Object> s : sockets) {
            if (!units.isEmpty() && !units.contains(s.get("unit"))) continue;
            text.append(String.format(format, s.get("listen"), s.get("type"), s.get("unit"), s.get("activates"),
                    s.get("state"), s.get("accepted"), s.get("connections")));
        }
        return text.toString();
    }
}
