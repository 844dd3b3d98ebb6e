package vigil.config;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.ResourceLimits;
import vigil.model.Readiness;
import vigil.model.RestartPolicy;
import vigil.model.StopPolicy;
import vigil.os.Signals;
import vigil.resources.BadResourceValue;
import vigil.resources.ResourceSettings;
import vigil.resources.ResourcesFile;

/**
 * Loads a runit/s6-style service directory into a {@link DirectorySpec}.
 *
 * <table>
 *   <caption>What each file means</caption>
 *   <tr><td>{@code run}</td><td>started as {@code ./run} in the directory; must be a non-empty executable</td></tr>
 *   <tr><td>{@code finish}</td><td>if readable, run as {@code ./finish} after run exits</td></tr>
 *   <tr><td>{@code down}</td><td>if present, the service starts wanted down</td></tr>
 *   <tr><td>{@code critical}</td><td>if present, its end for good (finish exits 125, {@code sv once} or
 *       {@code sv down}) stops the daemon, which exits with run's exit code; not read in {@code log/}</td></tr>
 *   <tr><td>{@code notification-fd}</td><td>s6 readiness: run writes a newline to this fd (3 or more)</td></tr>
 *   <tr><td>{@code notify}</td><td>if present (and no notification-fd): sd_notify readiness; run gets a
 *       {@code NOTIFY_SOCKET} and is ready on {@code READY=1}</td></tr>
 *   <tr><td>{@code check}</td><td>if executable and there is no notification-fd: a readiness probe</td></tr>
 *   <tr><td>{@code down-signal}</td><td>the stop signal, a name or number (default TERM)</td></tr>
 *   <tr><td>{@code timeout-kill}</td><td>ms after the stop signal before KILL to the whole cgroup (default 0:
 *       the daemon's {@code --default-timeout-stop})</td></tr>
 *   <tr><td>{@code timeout-finish}</td><td>ms finish may run before KILL (default 5000; 0: forever)</td></tr>
 *   <tr><td>{@code env/}</td><td>an {@link EnvDir} applied to the base environment</td></tr>
 *   <tr><td>{@code log-dir}</td><td>where Vigil's built-in log of the output goes instead of the daemon's
 *       {@code LOGDIR/NAME}: a symlink to the directory, or a file whose first line is its path (relative to the
 *       service directory)</td></tr>
 *   <tr><td>{@code dependencies.d/}</td><td>s6-rc's format: an empty file per service it requires and starts
 *       after, named for a unit ({@code redis-server.service}) or another directory ({@code web} or
 *       {@code web.service}); names starting with a dot are left out</td></tr>
 *   <tr><td>{@code log/}</td><td>a logger service {@code NAME/log} read by the same rules; {@code log/log} is
 *       ignored</td></tr>
 * </table>
 *
 * <p>Bring-up loads every directory at once, so each directory is listed once and only the files the listing shows
 * are opened or stat'ed: a plain directory with just {@code run} costs a listing, a stat and an access check.
 *
 * <p>Never throws for bad input: every problem becomes an {@link LoadResult.Invalid} or
 * {@link LoadResult.Incomplete}.
 */
public final class ServiceDirectory {
    private ServiceDirectory() {}

    /** A {@code resources} file has a line per setting: a few hundred bytes; more is not one. */
    private static final int RESOURCES_LIMIT = 64 * 1024;

    private static final Set<String> KNOWN = Set.of("run", "finish", "down", "check", "notification-fd", "notify",
            "down-signal", "timeout-kill", "timeout-finish", "env", "log", "log-dir", "dependencies.d",
            "resources", "critical", "sandbox");

    /**
     * Loads {@code dir} as the service {@code name}.
     *
     * @param baseEnvironment the environment every command starts from, before {@code env/}; pass an immutable map
     *                        ({@code Map.copyOf}) and every directory without {@code env/} shares it
     */
    public static LoadResult load(Path dir, String name, Map<String, String> baseEnvironment) {
        try {
            Listing service = Listing.of(dir, "");
            Optional<Listing> log = service.has("log")
                    ? Optional.of(Listing.of(dir.resolve("log"), "log/"))
                    : Optional.empty();

            // run is made executable last when a directory is written by hand, so until it is complete the other
            // files may be half-written too: check it before reading anything else.
            List<String> missing = new ArrayList<>(2);
            List<Path> watch = new ArrayList<>(2);
            runProblem(service).ifPresent(missing::add);
            watch.add(dir);
            if (log.isPresent()) {
                Optional<String> logProblem = runProblem(log.get());
                logProblem.ifPresent(missing::add);
                if (logProblem.isPresent()) watch.add(log.get().dir());
            }
            if (!missing.isEmpty()) return new LoadResult.Incomplete(String.join("; ", missing), watch);

            Optional<DirectorySpec> logger = Optional.empty();
            if (log.isPresent()) {
                logger = Optional.of(spec(log.get(), name + "/log", baseEnvironment, Optional.empty()));
            }
            return new LoadResult.Loaded(spec(service, name, baseEnvironment, logger));
        } catch (ConfigException e) {
            return e.shortage() ? new LoadResult.Unavailable(e.getMessage()) : new LoadResult.Invalid(e.getMessage());
        }
    }

    /** Which of the files this loader cares about a directory holds, from one listing. */
    private record Listing(Path dir, String prefix, Set<String> names) {
        static Listing of(Path dir, String prefix) throws ConfigException {
            var names = new HashSet<String>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    if (KNOWN.contains(name)) names.add(name);
                }
            } catch (NotDirectoryException e) {
                throw new ConfigException(label(dir, prefix) + "is " + ConfigFiles.kind(dir) + ", need a directory");
            } catch (IOException e) {
                throw ConfigException.io(label(dir, prefix) + "cannot read the directory: ", e);
            } catch (DirectoryIteratorException e) {
                throw ConfigException.io(label(dir, prefix) + "cannot read the directory: ", e.getCause());
            }
            return new Listing(dir, prefix, names);
        }

        /** "log: " for the log directory, the whole path for the service directory itself. */
        private static String label(Path dir, String prefix) {
            return (prefix.isEmpty() ? dir.toString() : prefix.substring(0, prefix.length() - 1)) + ": ";
        }

        boolean has(String name) {
            return names.contains(name);
        }

        Path path(String name) {
            return dir.resolve(name);
        }
    }

    /** Why {@code run} cannot be started yet, if it cannot. */
    private static Optional<String> runProblem(Listing listing) throws ConfigException {
        String label = listing.prefix() + "run";
        if (!listing.has("run")) return Optional.of(label + " does not exist");
        Path run = listing.path("run");
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(run, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Optional.of(label + (Files.isSymbolicLink(run) ? " is a symbolic link to nothing"
                    : " does not exist"));
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        }
        if (!attributes.isRegularFile()) return Optional.of(label + " is " + ConfigFiles.kind(run)
                + ", not a regular file");
        if (attributes.size() == 0) return Optional.of(label + " is empty");
        if (!Files.isExecutable(run)) return Optional.of(label + " is not executable");
        return Optional.empty();
    }

    private static DirectorySpec spec(Listing listing, String name, Map<String, String> base,
                                    Optional<DirectorySpec> logger) throws ConfigException {
        // Frozen once here, so run, finish and check share one map: Command's Map.copyOf keeps an immutable map.
        Map<String, String> environment = Map.copyOf(base);
        if (listing.has("env")) {
            try {
                environment = Map.copyOf(EnvDir.apply(listing.path("env"), base));
            } catch (ConfigException e) {
                throw e.under(listing.prefix());
            }
        }
        Command run = sandboxed(listing, command(listing, "run", environment));
        Optional<Command> finish = listing.has("finish") && Files.isReadable(listing.path("finish"))
                ? Optional.of(command(listing, "finish", environment))
                : Optional.empty();
        return new DirectorySpec(name, listing.dir(), run, finish, listing.has("down"),
                readiness(listing, environment), stopPolicy(listing), RestartPolicy.DEFAULT, logger,
                logDirectory(listing), dependencies(listing), resources(listing),
                listing.prefix().isEmpty() && listing.has("critical"));
    }

    /**
     * The names in {@code dependencies.d/}, sorted so that the order does not depend on the file system. A logger's
     * are not read: it is no node of the dependency graph, and runs with its service.
     */
    private static List<String> dependencies(Listing listing) throws ConfigException {
        if (!listing.prefix().isEmpty() || !listing.has("dependencies.d")) return List.of();
        Path dir = listing.path("dependencies.d");
        var names = new TreeSet<String>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(".")) names.add(name);
            }
        } catch (NotDirectoryException e) {
            throw new ConfigException(dir + ": is " + ConfigFiles.kind(dir) + ", need a directory");
        } catch (IOException e) {
            throw ConfigException.io(dir + ": cannot read the directory: ", e);
        } catch (DirectoryIteratorException e) {
            throw ConfigException.io(dir + ": cannot read the directory: ", e.getCause());
        }
        return List.copyOf(names);
    }

    /** {@code run} with the settings of the {@code sandbox} file ({@link SandboxFile}), if there is one. */
    private static Command sandboxed(Listing listing, Command run) throws ConfigException {
        if (!listing.has("sandbox")) return run;
        Path file = listing.path("sandbox");
        String label = listing.prefix() + "sandbox";
        BasicFileAttributes attributes = ConfigFiles.attributes(file, label);
        if (!attributes.isRegularFile()) {
            throw new ConfigException(label + ": is " + ConfigFiles.kind(file) + ", need a regular file");
        }
        if (attributes.size() > RESOURCES_LIMIT) {
            throw new ConfigException(label + ": larger than " + RESOURCES_LIMIT + " bytes");
        }
        try {
            return new Command(run.executable(), run.argv(), run.workingDirectory(), run.environment(), run.user(),
                    SandboxFile.parse(Files.readString(file), label));
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        }
    }

    /** The {@code resources} file's limits ({@link ResourcesFile}); a bad line names the file and line. */
    private static ResourceLimits resources(Listing listing) throws ConfigException {
        if (!listing.has("resources")) return ResourceLimits.NONE;
        Path file = listing.path("resources");
        String label = listing.prefix() + "resources";
        BasicFileAttributes attributes = ConfigFiles.attributes(file, label);
        if (!attributes.isRegularFile()) {
            throw new ConfigException(label + ": is " + ConfigFiles.kind(file) + ", need a regular file");
        }
        if (attributes.size() > RESOURCES_LIMIT) {
            throw new ConfigException(label + ": larger than " + RESOURCES_LIMIT + " bytes");
        }
        try {
            return ResourcesFile.parse(Files.readString(file), file.toString(), ResourceSettings.Machine.current());
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        } catch (BadResourceValue e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /**
     * {@code log-dir}: a symlink is taken for the directory it names (which need not exist yet), a file for the
     * path on its first line; relative paths are from the service directory.
     */
    private static Optional<Path> logDirectory(Listing listing) throws ConfigException {
        if (!listing.has("log-dir")) return Optional.empty();
        Path file = listing.path("log-dir");
        String label = listing.prefix() + "log-dir";
        if (Files.isSymbolicLink(file)) {
            try {
                return Optional.of(listing.dir().resolve(Files.readSymbolicLink(file)).normalize());
            } catch (IOException e) {
                throw ConfigException.io(label + ": cannot read the link: ", e);
            }
        }
        if (Files.isDirectory(file)) return Optional.of(file);
        String text = ConfigFiles.readValue(file, label).lines().findFirst().orElse("").strip();
        if (text.isEmpty()) throw new ConfigException(label + ": is empty; need the path of a log directory");
        return Optional.of(listing.dir().resolve(text).normalize());
    }

    /** runit starts every script by its relative name from inside the service directory. */
    private static Command command(Listing listing, String file, Map<String, String> environment) {
        return new Command(listing.path(file), List.of("./" + file), listing.dir(), environment);
    }

    private static Readiness readiness(Listing listing, Map<String, String> environment) throws ConfigException {
        if (listing.has("notification-fd")) {
            String label = listing.prefix() + "notification-fd";
            String text = ConfigFiles.readValue(listing.path("notification-fd"), label);
            long fd = parseUnsigned(text, 9);
            if (fd < 3) {
                throw new ConfigException(label + ": " + ConfigFiles.quote(text)
                        + " is not a file descriptor number (need an integer >= 3)");
            }
            return new Readiness.NotificationFd((int) fd);
        }
        if (listing.has("notify")) return new Readiness.SdNotify();
        if (listing.has("check") && Files.isExecutable(listing.path("check"))) {
            return new Readiness.Probe(command(listing, "check", environment));
        }
        return new Readiness.OnStart();
    }

    private static StopPolicy stopPolicy(Listing listing) throws ConfigException {
        int signal = StopPolicy.DEFAULT.downSignal();
        if (listing.has("down-signal")) {
            String label = listing.prefix() + "down-signal";
            String text = ConfigFiles.readValue(listing.path("down-signal"), label);
            var parsed = Signals.parse(text);
            if (parsed.isEmpty()) {
                throw new ConfigException(label + ": " + ConfigFiles.quote(text)
                        + " is not a signal (need a name like TERM or SIGHUP, or a number from 1 to 64)");
            }
            signal = parsed.getAsInt();
        }
        Duration kill = millis(listing, "timeout-kill", StopPolicy.DEFAULT.timeoutKill());
        Duration finish = millis(listing, "timeout-finish", StopPolicy.DEFAULT.timeoutFinish());
        return new StopPolicy(signal, kill, finish);
    }

    /** An s6 timeout file: a non-negative integer of milliseconds. */
    private static Duration millis(Listing listing, String file, Duration absent) throws ConfigException {
        if (!listing.has(file)) return absent;
        String label = listing.prefix() + file;
        String text = ConfigFiles.readValue(listing.path(file), label);
        long ms = parseUnsigned(text, 18);
        if (ms < 0) {
            throw new ConfigException(label + ": " + ConfigFiles.quote(text)
                    + " is not a number of milliseconds (need a non-negative integer)");
        }
        return Duration.ofMillis(ms);
    }

    /** The decimal number, or -1 if the text is not 1 to {@code maxDigits} ASCII digits. */
    private static long parseUnsigned(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits) return -1;
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return -1;
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
