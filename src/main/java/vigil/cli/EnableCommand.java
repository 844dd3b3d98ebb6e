package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vigil.control.ControlClient;
import vigil.unit.Host;
import vigil.unit.InstallLinks;

@Command(name = "enable", description = {"Make the symlinks the units' [Install] sections ask for (WantedBy=, "
        + "RequiredBy=, UpheldBy=, Alias=, and the units of Also=), in the unit directory each unit's file is in, "
        + "as systemctl enable does; then have the daemon read its unit files again.",
        "With --units DIR and without --now, no daemon is needed."})
final class EnableCommand extends UnitFileCommand {
    @Option(names = "--now", description = "start the units too, and wait until they are")
    boolean now;

    @Option(names = "--no-reload", description = "do not have the daemon read its unit files again")
    boolean noReload;

    @Override
    boolean needsDaemon() {
        return now;
    }

    @Override
    int onFiles(List<Path> directories) {
        try {
            InstallLinks.Result result = InstallLinks.in(directories, Host.current()).enable(names);
            result.changes().forEach(err::println);
            result.warnings().forEach(err::println);
            return OK;
        } catch (InstallLinks.InstallException e) {
            err.println("vigil: failed to enable: " + e.getMessage());
            return FAILURE;
        } catch (IOException e) {
            err.println("vigil: failed to enable: " + e);
            return FAILURE;
        }
    }

    @Override
    int afterwards(ControlClient client) throws IOException, Failed {
        if (!noReload || now) daemonReload(client);
        return now ? act(client, "start") : OK;
    }
}
