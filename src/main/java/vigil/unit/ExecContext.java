package vigil.unit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The process settings of systemd.exec(5) that a service (or socket) applies to each command it runs. Defaults
 * are systemd's; unset optional values mean "leave as inherited".
 *
 * @param environment    {@code Environment=} assignments, later ones overriding earlier ones, in first-set order
 * @param directories    {@code RuntimeDirectory=} and the like: relative paths under the matching root
 * @param directoryModes the {@code *DirectoryMode=} of each kind (0755 unless set)
 * @param standardError  {@link Stdio.Inherit} means "where stdout goes"
 * @param capabilityBoundingSet {@code CapabilityBoundingSet=} as a mask, {@link Capabilities#ALL} when unset
 * @param ambientCapabilities   {@code AmbientCapabilities=} as a mask, 0 when unset
 * @param secureBits            {@code SecureBits=}: securebits(7) flags, 0 when unset
 */
public record ExecContext(
        Optional<WorkingDirectory> workingDirectory,
        Optional<String> rootDirectory,
        Optional<String> user,
        Optional<String> group,
        List<String> supplementaryGroups,
        int umask,
        OptionalInt nice,
        OptionalInt oomScoreAdjust,
        Map<ResourceLimit.Resource, ResourceLimit> limits,
        Map<String, String> environment,
        List<EnvironmentFile> environmentFiles,
        List<String> passEnvironment,
        List<String> unsetEnvironment,
        Map<DirectoryKind, List<String>> directories,
        Map<DirectoryKind, Integer> directoryModes,
        String runtimeDirectoryPreserve,
        Stdio standardInput,
        Stdio standardOutput,
        Stdio standardError,
        boolean noNewPrivileges,
        long capabilityBoundingSet,
        long ambientCapabilities,
        int secureBits) {

    public ExecContext {
        supplementaryGroups = List.copyOf(supplementaryGroups);
        var l = new EnumMap<ResourceLimit.Resource, ResourceLimit>(ResourceLimit.Resource.class);
        l.putAll(limits);
        limits = Collections.unmodifiableMap(l);
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        environmentFiles = List.copyOf(environmentFiles);
        passEnvironment = List.copyOf(passEnvironment);
        unsetEnvironment = List.copyOf(unsetEnvironment);
        var dirs = new EnumMap<DirectoryKind, List<String>>(DirectoryKind.class);
        directories.forEach((k, v) -> dirs.put(k, List.copyOf(v)));
        directories = Collections.unmodifiableMap(dirs);
        var modes = new EnumMap<DirectoryKind, Integer>(DirectoryKind.class);
        modes.putAll(directoryModes);
        directoryModes = Collections.unmodifiableMap(modes);
    }

    /**
     * {@code WorkingDirectory=}.
     *
     * @param path      an absolute path, or {@code ~} for the user's home
     * @param missingOk the {@code -} prefix: a missing directory is not an error
     */
    public record WorkingDirectory(String path, boolean missingOk) {
        public boolean isHome() {
            return path.equals("~");
        }
    }

    /** {@code EnvironmentFile=}; {@code optional} is the {@code -} prefix (a missing file is fine). */
    public record EnvironmentFile(String path, boolean optional) {}

    /** The directories systemd creates for a service, with their roots for the system manager. */
    public enum DirectoryKind {
        RUNTIME("RuntimeDirectory"), STATE("StateDirectory"), CACHE("CacheDirectory"), LOGS("LogsDirectory"),
        CONFIGURATION("ConfigurationDirectory");

        private final String directive;

        DirectoryKind(String directive) {
            this.directive = directive;
        }

        public String directive() {
            return directive;
        }

        /** The root this kind lives under: /run, /var/lib, /var/cache, /var/log or /etc (or the XDG ones). */
        public java.nio.file.Path root(Host host) throws InvalidValueException {
            return switch (this) {
                case RUNTIME -> host.runtimeDirectory();
                case STATE -> host.stateDirectory();
                case CACHE -> host.cacheDirectory();
                case LOGS -> host.logsDirectory();
                case CONFIGURATION -> host.configurationDirectory();
            };
        }
    }

    /** The mode of a kind of directory: as set, or 0755. */
    public int directoryMode(DirectoryKind kind) {
        return directoryModes.getOrDefault(kind, 0755);
    }

    /** Collects exec settings in file order. */
    static final class Builder {
        private Optional<WorkingDirectory> workingDirectory = Optional.empty();
        private Optional<String> rootDirectory = Optional.empty();
        private Optional<String> user = Optional.empty();
        private Optional<String> group = Optional.empty();
        private final List<String> supplementaryGroups = new ArrayList<>();
        private int umask = 0022;
        private OptionalInt nice = OptionalInt.empty();
        private OptionalInt oomScoreAdjust = OptionalInt.empty();
        private final Map<ResourceLimit.Resource, ResourceLimit> limits = new EnumMap<>(ResourceLimit.Resource.class);
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<EnvironmentFile> environmentFiles = new ArrayList<>();
        private final List<String> passEnvironment = new ArrayList<>();
        private final List<String> unsetEnvironment = new ArrayList<>();
        private final Map<DirectoryKind, List<String>> directories = new EnumMap<>(DirectoryKind.class);
        private final Map<DirectoryKind, Integer> directoryModes = new EnumMap<>(DirectoryKind.class);
        private String runtimeDirectoryPreserve = "no";
        private Optional<Stdio> standardInput = Optional.empty();
        private Optional<Stdio> standardOutput = Optional.empty();
        private Optional<Stdio> standardError = Optional.empty();
        private boolean noNewPrivileges;
        private long capabilityBoundingSet = Capabilities.ALL;
        private long ambientCapabilities;
        private int secureBits;

        /** Applies {@code key=value} if it is an exec setting; returns false if it is not one. */
        boolean set(String key, String value, Specifiers sp) throws InvalidValueException {
            boolean empty = value.isEmpty();
            Optional<ResourceLimit.Resource> resource = ResourceLimit.Resource.forDirective(key);
            if (resource.isPresent()) {
                if (empty) limits.remove(resource.get());
                else limits.put(resource.get(), ResourceLimit.parse(resource.get(), value));
                return true;
            }
            for (DirectoryKind kind : DirectoryKind.values()) {
                if (key.equals(kind.directive())) {
                    if (empty) directories.remove(kind);
                    for (String word : Words.split(value)) {
                        String dir = sp.expand(word);
                        int colon = dir.indexOf(':');
                        Values.relativePath(colon < 0 ? dir : dir.substring(0, colon));
                        directories.computeIfAbsent(kind, k -> new ArrayList<>()).add(dir);
                    }
                    return true;
                }
                if (key.equals(kind.directive() + "Mode")) {
                    if (empty) directoryModes.remove(kind);
                    else directoryModes.put(kind, Values.mode(value));
                    return true;
                }
            }
            switch (key) {
                case "WorkingDirectory" -> workingDirectory = empty ? Optional.empty() : Optional.of(workingDirectory(
                        value, sp));
                case "RootDirectory" -> rootDirectory = empty ? Optional.empty()
                        : Optional.of(Values.absolutePath(sp.expand(value)));
                case "User" -> user = empty ? Optional.empty() : Optional.of(Values.userOrGroup(sp.expand(value)));
                case "Group" -> group = empty ? Optional.empty() : Optional.of(Values.userOrGroup(sp.expand(value)));
                case "SupplementaryGroups" -> {
                    if (empty) supplementaryGroups.clear();
                    for (String word : Words.split(value)) {
                        supplementaryGroups.add(Values.userOrGroup(sp.expand(word)));
                    }
                }
                case "UMask" -> umask = empty ? 0022 : Values.mode(value);
                case "Nice" -> nice = empty ? OptionalInt.empty()
                        : OptionalInt.of((int) Values.integer(value, -20, 19));
                case "OOMScoreAdjust" -> oomScoreAdjust = empty ? OptionalInt.empty()
                        : OptionalInt.of((int) Values.integer(value, -1000, 1000));
                case "Environment" -> {
                    if (empty) environment.clear();
                    for (String word : Words.split(value)) {
                        String assignment = sp.expand(word);
                        int eq = assignment.indexOf('=');
                        if (eq < 0) throw new InvalidValueException("'" + assignment + "' is not NAME=VALUE");
                        environment.put(Values.environmentName(assignment.substring(0, eq)),
                                assignment.substring(eq + 1));
                    }
                }
                case "EnvironmentFile" -> {
                    if (empty) {
                        environmentFiles.clear();
                    } else {
                        boolean optional = value.startsWith("-");
                        String path = Values.absolutePath(sp.expand(optional ? value.substring(1) : value));
                        environmentFiles.add(new EnvironmentFile(path, optional));
                    }
                }
                case "PassEnvironment" -> {
                    if (empty) passEnvironment.clear();
                    for (String word : Words.split(value)) passEnvironment.add(Values.environmentName(sp.expand(word)));
                }
                case "UnsetEnvironment" -> {
                    if (empty) unsetEnvironment.clear();
                    for (String word : Words.split(value)) {
                        String entry = sp.expand(word);
                        int eq = entry.indexOf('=');
                        Values.environmentName(eq < 0 ? entry : entry.substring(0, eq));
                        unsetEnvironment.add(entry);
                    }
                }
                case "RuntimeDirectoryPreserve" -> runtimeDirectoryPreserve = empty ? "no"
                        : preserveMode(value);
                case "StandardInput" -> standardInput = empty ? Optional.empty() : Optional.of(Stdio.input(value, sp));
                case "StandardOutput" -> standardOutput = empty ? Optional.empty()
                        : Optional.of(Stdio.output(value, sp, "stdout"));
                case "StandardError" -> standardError = empty ? Optional.empty()
                        : Optional.of(Stdio.output(value, sp, "stderr"));
                case "NoNewPrivileges" -> noNewPrivileges = !empty && Values.bool(value);
                case "CapabilityBoundingSet" -> capabilityBoundingSet = Capabilities.merge(capabilityBoundingSet,
                        Capabilities.ALL, value);
                case "AmbientCapabilities" -> ambientCapabilities = Capabilities.merge(ambientCapabilities, 0, value);
                case "SecureBits" -> secureBits = empty ? 0 : secureBits | Capabilities.secureBits(value);
                default -> {
                    return false;
                }
            }
            return true;
        }

        private static WorkingDirectory workingDirectory(String value, Specifiers sp) throws InvalidValueException {
            boolean missingOk = value.startsWith("-");
            String path = missingOk ? value.substring(1) : value;
            if (path.equals("~")) return new WorkingDirectory("~", missingOk);
            return new WorkingDirectory(Values.absolutePath(sp.expand(path)), missingOk);
        }

        private static String preserveMode(String value) throws InvalidValueException {
            if (value.equals("restart")) return value;
            return Values.bool(value) ? "yes" : "no";
        }

        ExecContext build() {
            Stdio input = standardInput.orElse(new Stdio.Null());
            // systemd.exec(5): output defaults to inherit when input is a terminal or a socket, else to the journal.
            boolean inputIsTerminalOrSocket = input instanceof Stdio.Tty || input instanceof Stdio.Socket
                    || input instanceof Stdio.NamedFd;
            Stdio output = standardOutput.orElse(inputIsTerminalOrSocket ? new Stdio.Inherit()
                    : new Stdio.Log("journal", false));
            return new ExecContext(workingDirectory, rootDirectory, user, group, supplementaryGroups, umask, nice,
                    oomScoreAdjust, limits, environment, environmentFiles, passEnvironment, unsetEnvironment,
                    directories, directoryModes, runtimeDirectoryPreserve, input, output,
                    standardError.orElse(new Stdio.Inherit()), noNewPrivileges, capabilityBoundingSet,
                    ambientCapabilities, secureBits);
        }
    }
}
