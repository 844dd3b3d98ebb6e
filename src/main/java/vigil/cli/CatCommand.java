package vigil.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.unit.Host;
import vigil.unit.UnitLoader;

@Command(name = "cat",
        description = {"Print a unit's file and its drop-ins, each after a '# PATH' line, as systemctl cat does.",
                "Exits 1 if a unit is not found or masked."})
final class CatCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "NAME",
            description = "unit names, such as sshd.service or getty@tty1.service")
    List<String> names;

    @Option(names = "--units", arity = "1..*", required = true, paramLabel = "DIR",
            description = "the unit search path, highest priority first")
    List<Path> units = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        UnitLoader loader = UnitLoader.scan(units, Host.current());
        int status = 0;
        boolean first = true;
        for (String name : names) {
            UnitLoader.Location location = loader.locate(name);
            if (location.masked().isPresent()) {
                System.err.println("vigil: " + name + " is masked (" + location.masked().get() + ")");
                status = 1;
                continue;
            }
            if (location.fragment().isEmpty()) {
                System.err.println("vigil: " + location.missingReason());
                status = 1;
                continue;
            }
            if (!first) System.out.println();
            first = false;
            print(location.fragment().get());
            for (Path dropIn : location.dropIns()) {
                System.out.println();
                print(dropIn);
            }
        }
        return status;
    }

    private static void print(Path file) throws IOException {
        System.out.println("# " + file);
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        System.out.print(text.endsWith("\n") || text.isEmpty() ? text : text + "\n");
    }
}
