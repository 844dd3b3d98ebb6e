package vigil.unit;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The outcome of loading one unit by name. */
public sealed interface UnitResult {
    /** The name that was asked for. */
    String requested();

    /** Every problem found, errors first, then warnings, each in file order. */
    List<Diagnostic> diagnostics();

    /** The unit loaded; {@code diagnostics} holds only warnings. */
    record Loaded(String requested, Unit unit, List<Diagnostic> diagnostics) implements UnitResult {
        public Loaded {
            Objects.requireNonNull(unit, "unit");
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /** The unit's files were found but hold at least one error; {@code file} is absent if they could not be read. */
    record Failed(String requested, Optional<UnitFile> file, List<Diagnostic> diagnostics) implements UnitResult {
        public Failed {
            Objects.requireNonNull(file, "file");
            diagnostics = List.copyOf(diagnostics);
            if (diagnostics.stream().noneMatch(Diagnostic::isError)) {
                throw new IllegalArgumentException("a failed unit needs an error");
            }
        }
    }

    /** A symlink to /dev/null (or an empty file) hides the unit. */
    record Masked(String requested, Path path) implements UnitResult {
        @Override
        public List<Diagnostic> diagnostics() {
            return List.of();
        }
    }

    /** No file in the search path provides the name. */
    record NotFound(String requested, String reason) implements UnitResult {
        @Override
        public List<Diagnostic> diagnostics() {
            return List.of();
        }
    }
}
