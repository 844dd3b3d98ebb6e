package vigil.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vigil.control.ControlClient;
import vigil.unit.Host;
import vigil.unit.InstallLinks;

@Command(name = "disable", description = {"Remove the symlinks enable made for the units and the units of their "
        + "Also=, in every unit directory, as systemctl disable does; then have the daemon read its unit files "
        + "again.", "With --units DIR and without --now, no daemon is needed."})
final class DisableCommand extends UnitFileCommand {
    @Option(names = "--now", description = "stop the units too, and wait until they are")
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
            InstallLinks.in(directories, Host.current()).disable(names).changes().forEach(err::println);
            return OK;
        } catch (InstallLinks.InstallException e) {
            err.println("vigil: failed to disable: " + e.getMessage());
            return FAILURE;
        } catch (IOException e) {
            err.println("vigil: failed to disable: " + e);
            return FAILURE;
        }
    }

    @Override
    int afterwards(ControlClient client) throws IOException, Failed {
        // Stopped first: a unit removed with its links would otherwise be stopped by the reload, unwaited.
        int exit = now ? act(client, "stop") : OK;
        if (!noReload || now) daemonReload(client);
        return exit;
    }
}
