package vigil.cli;

import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;

@Command(name = "is-failed", description = {"Print each unit's active state.",
        "Exits 0 if at least one has failed, else 1, as systemctl is-failed."})
final class IsFailedCommand extends ClientCommand {
    @Option(names = {"-q", "--quiet"}, description = "print nothing; only the exit code tells")
    boolean quiet;

    @Parameters(paramLabel = "UNIT", arity = "1..*", description = "the units")
    List<String> names;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        boolean any = false;
        for (var u : UnitEntries.fetch(client, names)) {
            String state = UnitEntries.text(u, "active");
            if (!quiet) out.println(state);
            any |= state.equals("failed");
        }
        return any ? OK : FAILURE;
    }
}
