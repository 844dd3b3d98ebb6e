package vigil.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.unit.Host;
import vigil.unit.InstallLinks;

@Command(name = "list-unit-files", description = "List the unit files of the unit directories with their state "
        + "(enabled, disabled, static, masked...), as systemctl list-unit-files does.")
final class ListUnitFilesCommand extends ClientCommand {
    @Option(names = "--units", arity = "1..*", paramLabel = "DIR", parameterConsumer = DirectoryValues.class,
            description = "the directories of unit files (default: the running daemon's)")
    List<Path> units = new ArrayList<>();

    @Option(names = "--no-legend", description = "print neither the header nor the footer")
    boolean noLegend;

    @Parameters(paramLabel = "PATTERN", arity = "0..*", description = "only the units whose names match these "
            + "glob patterns")
    List<String> patterns = List.of();

    @Override
    Optional<Integer> withoutDaemon() {
        return units.isEmpty() ? Optional.empty() : Optional.of(list(units));
    }

    @Override
    int run(ControlClient client) throws IOException, Failed {
        return list(UnitFileCommand.daemonDirectories(client));
    }

    private int list(List<Path> directories) {
        try {
            InstallLinks links = InstallLinks.in(directories, Host.current());
            List<List<String>> rows = new ArrayList<>();
            if (!noLegend) rows.add(List.of("UNIT FILE", "STATE"));
            for (Map.Entry<String, Path> unit : unitFiles(directories).entrySet()) {
                String name = unit.getKey();
                if (!patterns.isEmpty() && patterns.stream().noneMatch(p -> matches(p, name))) continue;
                String state = MaskCommands.isMask(unit.getValue()) ? "masked"
                        : links.state(name).map(InstallLinks.State::word).orElse("bad");
                rows.add(List.of(name, state));
            }
            UnitEntries.table(rows, false).forEach(out::println);
            if (!noLegend) {
                out.println();
                out.println((rows.size() - 1) + " unit files listed.");
            }
            return OK;
        } catch (IOException e) {
            err.println("vigil: cannot read the unit directories " + directories + ": " + e.getMessage());
            return FAILURE;
        }
    }

    /** Every unit file's name, with the file the search path finds first; instance links left out. */
    private static Map<String, Path> unitFiles(List<Path> directories) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        for (Path dir : directories) {
            if (!Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    boolean unit = name.endsWith(".service") || name.endsWith(".target") || name.endsWith(".socket");
                    if (unit && !Files.isDirectory(entry)) files.putIfAbsent(name, entry);
                }
            }
        }
        return files;
    }

    private static boolean matches(String glob, String name) {
        return name.matches(glob.replace(".", "\\.").replace("*", ".*").replace("?", "."));
    }
}
