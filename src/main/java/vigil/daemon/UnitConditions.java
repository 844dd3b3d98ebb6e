package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import vigil.model.UnitSpec;

/** The file-system {@code Condition*=} checks of a unit, as systemd.unit(5) defines them; errors count as false. */
final class UnitConditions {
    private UnitConditions() {}

    static boolean holds(UnitSpec.Condition condition) {
        Path path = Path.of(condition.argument());
        try {
            return switch (condition.check()) {
                case "PathExists" -> Files.exists(path);
                case "PathIsDirectory" -> Files.isDirectory(path);
                case "PathIsSymbolicLink" -> Files.isSymbolicLink(path);
                case "PathIsReadWrite" -> Files.exists(path) && !Files.getFileStore(path).isReadOnly();
                case "DirectoryNotEmpty" -> Files.isDirectory(path) && hasEntries(path);
                case "FileNotEmpty" -> Files.isRegularFile(path) && Files.size(path) > 0;
                case "FileIsExecutable" -> Files.isRegularFile(path) && Files.isExecutable(path);
                default -> throw new IllegalArgumentException("not evaluated: " + condition.describe());
            };
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean hasEntries(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isPresent();
        }
    }
}
