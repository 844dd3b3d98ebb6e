package vigil.cli;

import java.io.IOException;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;

@Command(name = "wait", description = "Wait until a service is up, ready, or down. Exits 1 on timeout.")
final class WaitCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "the service")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Until until;

    static final class Until {
        @Option(names = "--up", required = true, description = "until its process runs") boolean up;
        @Option(names = "--ready", required = true, description = "until it is ready (readiness protocol)")
        boolean ready;
        @Option(names = "--down", required = true, description = "until no process of it runs") boolean down;
    }

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "give up after this long (default: never)")
    Double timeout;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        Map<String, Object> request = client.request("wait");
        request.put("name", name);
        request.put("until", until.up ? "up" : until.ready ? "ready" : "down");
        if (timeout != null) request.put("timeout", timeout);
        expectOk(client, request);
        return OK;
    }
}
