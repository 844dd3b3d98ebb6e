package vigil.resources;

import java.util.List;
import java.util.Objects;

/**
 * One write into a cgroup's control file, the unit of both translations: {@code value} goes to {@code file} in the
 * service's directory of {@code controller}'s hierarchy. A file may be written more than once (v1's
 * {@code devices.allow} takes one rule per write), in list order.
 */
public record LimitFile(String controller, String file, String value) {
    public LimitFile {
        Objects.requireNonNull(controller, "controller");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(value, "value");
    }

    /**
     * What a translation gives: the writes, and what it could not express on this cgroup version, each by the
     * controller it concerns (said only where that controller is in this version's hierarchy).
     */
    public record Translation(List<LimitFile> files, List<Note> warnings) {
        public Translation {
            files = List.copyOf(files);
            warnings = List.copyOf(warnings);
        }
    }

    /** A limit a translation could not express, and the controller it concerns. */
    public record Note(String controller, String text) {}
}
