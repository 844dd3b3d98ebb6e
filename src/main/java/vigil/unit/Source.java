package vigil.unit;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a setting came from: a file and a 1-based line, or line 0 for something about the whole file.
 *
 * <p>A setting continued over several lines with a trailing backslash is placed at its first line.
 */
public record Source(Path file, int line) {
    public Source {
        Objects.requireNonNull(file, "file");
        if (line < 0) throw new IllegalArgumentException("negative line " + line);
    }

    /** The whole file, for problems that belong to no single line. */
    public static Source of(Path file) {
        return new Source(file, 0);
    }

    /** {@code /path/to/file:12}, or just the path for line 0: the form editors and compilers use. */
    @Override
    public String toString() {
        return line == 0 ? file.toString() : file + ":" + line;
    }
}
