package vigil.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import vigil.model.DirectorySpec;

/**
 * What loading a service directory gave: a spec, a directory still being written, a configuration error, or a
 * passing shortage that stopped the load.
 */
public sealed interface LoadResult {
    /** The directory is complete and valid. */
    record Loaded(DirectorySpec spec) implements LoadResult {
        public Loaded {
            Objects.requireNonNull(spec, "spec");
        }
    }

    /**
     * The directory is not ready yet: {@code run} (or {@code log/run}) is missing, empty or not executable. This is
     * the normal state of a directory someone is still writing (mkdir, write run, chmod +x), not a failure: reload
     * when one of {@code watch} changes.
     *
     * @param reason what is missing, for status displays, e.g. {@code run is not executable}
     * @param watch  the directories whose changes may complete it: the service directory, and {@code log/} when
     *               the logger is what is incomplete
     */
    record Incomplete(String reason, List<Path> watch) implements LoadResult {
        public Incomplete {
            Objects.requireNonNull(reason, "reason");
            watch = List.copyOf(watch);
        }
    }

    /**
     * The configuration is wrong and will stay wrong until someone fixes it.
     *
     * @param message names the file, what is wrong and what was found; the caller prefixes the service name
     */
    record Invalid(String message) implements LoadResult {
        public Invalid {
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Vigil ran out of file descriptors or memory while reading the directory: nothing is known to be wrong with
     * it, so load it again later.
     */
    record Unavailable(String reason) implements LoadResult {
        public Unavailable {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
