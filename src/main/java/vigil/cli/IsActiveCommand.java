package vigil.cli;

import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;

@Command(name = "is-active", description = {"Print each unit's active state (active, inactive, failed, "
        + "activating...).", "Exits 0 if at least one is active (or reloading), else 3, or 4 if none of the units "
        + "exists, as systemctl is-active."})
final class IsActiveCommand extends ClientCommand {
    /** systemctl's exit code when none of the units is active: "program is not running". */
    static final int NONE_ACTIVE = 3;

    /** systemctl's exit code when none of the units exists. */
    static final int NO_SUCH_UNIT = 4;

    @Option(names = {"-q", "--quiet"}, description = "print nothing; only the exit code tells")
    boolean quiet;

    @Parameters(paramLabel = "UNIT", arity = "1..*", description = "the units")
    List<String> names;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        boolean any = false, known = false;
        for (var u : UnitEntries.fetch(client, names)) {
            String state = UnitEntries.text(u, "active");
            if (!quiet) out.println(state);
            any |= state.equals("active") || state.equals("reloading");
            known |= !UnitEntries.text(u, "load").equals("not-found");
        }
        return any ? OK : known ? NONE_ACTIVE : NO_SUCH_UNIT;
    }
}
