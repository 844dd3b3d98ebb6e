package vigil.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.unit.Host;
import vigil.unit.UnitLoader;

@Command(name = "cat",
        description = {"Print a unit's file and its drop-ins, each after a '# PATH' line, as systemctl cat does.",
                "Without --units, the running daemon's unit directories are searched.",
                "Exits 1 if a unit is not found or masked."})
final class CatCommand extends ClientCommand {
    @Parameters(arity = "1..*", paramLabel = "NAME",
            description = "unit names, such as sshd.service or getty@tty1.service")
    List<String> names;

    @Option(names = "--units", arity = "1..*", paramLabel = "DIR", parameterConsumer = DirectoryValues.class,
            description = "the unit search path, highest priority first (default: the running daemon's)")
    List<Path> units = new ArrayList<>();

    @Override
    Optional<Integer> withoutDaemon() {
        return units.isEmpty() ? Optional.empty() : Optional.of(print(units));
    }

    @Override
    int run(ControlClient client) throws IOException, Failed {
        List<Path> directories = UnitFileCommand.daemonDirectories(client);
        if (directories.isEmpty()) {
            throw new Failed("the daemon has no unit directories; name them with --units DIR", FAILURE);
        }
        return print(directories);
    }

    private int print(List<Path> directories) {
        try {
            return print(UnitLoader.scan(directories, Host.current()));
        } catch (IOException | UncheckedIOException e) {
            err.println("vigil: cannot read the unit files in " + directories + ": " + e.getMessage());
            return FAILURE;
        }
    }

    private int print(UnitLoader loader) {
        int status = 0;
        boolean first = true;
        for (String name : names) {
            UnitLoader.Location location = loader.locate(name);
            if (location.masked().isPresent()) {
                err.println("vigil: " + name + " is masked (" + location.masked().get() + ")");
                status = 1;
                continue;
            }
            if (location.fragment().isEmpty()) {
                err.println("vigil: " + location.missingReason());
                status = 1;
                continue;
            }
            if (!first) out.println();
            first = false;
            print(location.fragment().get());
            for (Path dropIn : location.dropIns()) {
                out.println();
                print(dropIn);
            }
        }
        return status;
    }

    private void print(Path file) {
        try {
            out.println("# " + file);
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            out.print(text.endsWith("\n") || text.isEmpty() ? text : text + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
