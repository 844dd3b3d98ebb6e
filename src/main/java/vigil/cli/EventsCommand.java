package vigil.cli;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.control.Json;

@Command(name = "events", description = "Follow what happens to services (started, ready, exited...) until Ctrl-C.")
final class EventsCommand extends ClientCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Option(names = "--json", description = "print each event as the daemon's JSON line")
    boolean json;

    @Parameters(paramLabel = "NAME", arity = "0..*", description = "services to follow (default: all)")
    List<String> names = List.of();

    @Override
    int run(ControlClient client) throws IOException, Failed {
        Map<String, Object> request = client.request("subscribe");
        if (!names.isEmpty()) request.put("names", names);
        expectOk(client, request);
        for (Optional<Map<String, Object>> event = client.read(); event.isPresent(); event = client.read()) {
            out.println(json ? Json.write(event.get()) : text(event.get()));
            out.flush();
        }
        err.println("vigil: the daemon closed the connection");
        return OK;
    }

    static String text(Map<String, Object> e) {
        String when = e.get("time") instanceof Number n
                ? LocalTime.ofInstant(Instant.ofEpochMilli(n.longValue()), ZoneId.systemDefault()).format(TIME) : "";
        StringBuilder b = new StringBuilder(when).append(' ').append(e.get("service")).append(": ")
                .append(e.get("event"));
        for (Map.Entry<String, Object> f : e.entrySet()) {
            switch (f.getKey()) {
                case "v", "event", "service", "time" -> {}
                default -> b.append(' ').append(f.getKey()).append('=').append(f.getValue());
            }
        }
        return b.toString();
    }
}
