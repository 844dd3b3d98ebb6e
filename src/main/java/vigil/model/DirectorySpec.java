package vigil.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service made of scripts, as runit, daemontools and s6 run them: a service directory's {@code run},
 * {@code finish} and {@code log/}, or a transient service made through the control socket. The loader builds it;
 * the supervisor only reads it.
 *
 * @param name      unique within the daemon; a logger is named {@code NAME/log}
 * @param directory where the service lives; its {@code supervise/} state goes here
 * @param finish    run after {@code run} exits, with the exit code and signal appended as runit does
 * @param logger    a {@code log/} service fed by {@code run}'s stdout through a pipe that outlives both
 * @param logDirectory where Vigil's built-in log of this service's output goes, if not the daemon's default
 * @param dependencies the names in its {@code dependencies.d/} (s6-rc's format), as written: each a unit or another
 *                     directory it requires and starts after
 * @param resources its cgroup's limits, from its {@code resources} file
 * @param critical  its {@code critical} file: when it goes down for good, the daemon stops everything and exits
 *                  with its exit code (a container's end, as with tini's one child)
 */
public record DirectorySpec(
        String name,
        Path directory,
        Command run,
        Optional<Command> finish,
        boolean startsDown,
        Readiness readiness,
        StopPolicy stop,
        RestartPolicy restart,
        Optional<DirectorySpec> logger,
        Optional<Path> logDirectory,
        List<String> dependencies,
        ResourceLimits resources,
        boolean critical) implements ServiceSpec {

    public DirectorySpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(finish, "finish");
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(logger, "logger");
        Objects.requireNonNull(logDirectory, "logDirectory");
        dependencies = List.copyOf(dependencies);
        Objects.requireNonNull(resources, "resources");
        if (logger.flatMap(DirectorySpec::logger).isPresent()) {
            throw new IllegalArgumentException(name + ": a logger cannot have a logger of its own");
        }
    }

    /** A service that is not critical. */
    public DirectorySpec(String name, Path directory, Command run, Optional<Command> finish, boolean startsDown,
                         Readiness readiness, StopPolicy stop, RestartPolicy restart, Optional<DirectorySpec> logger,
                         Optional<Path> logDirectory, List<String> dependencies, ResourceLimits resources) {
        this(name, directory, run, finish, startsDown, readiness, stop, restart, logger, logDirectory, dependencies,
                resources, false);
    }

    /** A service with no {@code dependencies.d/} and no resource limits. */
    public DirectorySpec(String name, Path directory, Command run, Optional<Command> finish, boolean startsDown,
                         Readiness readiness, StopPolicy stop, RestartPolicy restart, Optional<DirectorySpec> logger,
                         Optional<Path> logDirectory) {
        this(name, directory, run, finish, startsDown, readiness, stop, restart, logger, logDirectory, List.of(),
                ResourceLimits.NONE);
    }

    /** A service whose output goes to the daemon's default log directory. */
    public DirectorySpec(String name, Path directory, Command run, Optional<Command> finish, boolean startsDown,
                       Readiness readiness, StopPolicy stop, RestartPolicy restart, Optional<DirectorySpec> logger) {
        this(name, directory, run, finish, startsDown, readiness, stop, restart, logger, Optional.empty());
    }

    /** A plain service: run only, started at once, default stop and restart behaviour. */
    public static DirectorySpec simple(String name, Path directory, Command run) {
        return new DirectorySpec(name, directory, run, Optional.empty(), false, new Readiness.OnStart(),
                StopPolicy.DEFAULT, RestartPolicy.DEFAULT, Optional.empty());
    }
}
