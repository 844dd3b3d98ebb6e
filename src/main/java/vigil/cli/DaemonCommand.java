package vigil.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import vigil.daemon.Daemon;

@Command(name = "daemon",
        description = {"Supervise every service directory in each DIR (as runsvdir does), until TERM or INT.",
                "New, removed and renamed entries take effect at once."})
final class DaemonCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "directories of service directories")
    List<Path> roots;

    @Override
    public Integer call() {
        return Daemon.run(roots, System.err);
    }
}
