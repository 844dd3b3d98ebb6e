package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vigil.unit.Host;
import vigil.unit.InstallLinks;

@Command(name = "is-enabled", description = {"Say whether each unit is enabled, in systemctl's words: enabled, "
        + "disabled, static (no [Install] section), indirect (only Also=), alias or masked.",
        "Exits 0 if at least one is enabled, static, indirect or an alias, else 1."})
final class IsEnabledCommand extends UnitFileCommand {
    @Option(names = {"-q", "--quiet"}, description = "print nothing; only the exit code tells")
    boolean quiet;

    @Override
    int onFiles(List<Path> directories) {
        InstallLinks links;
        try {
            links = InstallLinks.in(directories, Host.current());
        } catch (IOException e) {
            err.println("vigil: cannot read the unit directories: " + e);
            return FAILURE;
        }
        boolean any = false;
        for (String name : names) {
            Optional<InstallLinks.State> state;
            try {
                state = links.state(name);
            } catch (IOException e) {
                err.println("vigil: failed to get unit file state for " + name + ": " + e);
                continue;
            }
            if (state.isEmpty()) {
                err.println("vigil: failed to get unit file state for " + name + ": No such file or directory");
                continue;
            }
            any |= state.get().enabled();
            if (!quiet) out.println(state.get().word());
        }
        return any ? OK : FAILURE;
    }
}
