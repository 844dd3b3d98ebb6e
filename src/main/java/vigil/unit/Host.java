package vigil.unit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The facts specifiers expand to that do not depend on the unit: which manager Vigil is (system or user), who runs
 * it, and the host. Read once with {@link #current()}; tests build one by hand.
 *
 * @param system      true for the system manager (Vigil running as root), false for a per-user manager
 * @param environment the manager's environment: HOME, XDG_RUNTIME_DIR, XDG_STATE_HOME, XDG_CACHE_HOME,
 *                    XDG_CONFIG_HOME and TMPDIR are read from it for a user manager (TMPDIR for both)
 * @param osRelease   /etc/os-release's assignments, unquoted
 */
public record Host(boolean system, String userName, int uid, String groupName, int gid, Path home, String shell,
                   String hostname, String machineId, String bootId, String kernelRelease, String architecture,
                   Map<String, String> osRelease, Map<String, String> environment) {
    public Host {
        Objects.requireNonNull(userName, "userName");
        Objects.requireNonNull(groupName, "groupName");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(shell, "shell");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(machineId, "machineId");
        Objects.requireNonNull(bootId, "bootId");
        Objects.requireNonNull(kernelRelease, "kernelRelease");
        Objects.requireNonNull(architecture, "architecture");
        osRelease = Map.copyOf(osRelease);
        environment = Map.copyOf(environment);
    }

    /** This process's view: root means the system manager, anyone else a user manager. */
    public static Host current() {
        int uid = idFromStatus("Uid:");
        int gid = idFromStatus("Gid:");
        Map<String, String> env = System.getenv();
        boolean system = uid == 0;
        Optional<String[]> passwd = databaseEntry(Path.of("/etc/passwd"), uid);
        String user = system ? "root" : passwd.map(p -> p[0]).orElse(env.getOrDefault("USER", String.valueOf(uid)));
        String group = system ? "root"
                : databaseEntry(Path.of("/etc/group"), gid).map(g -> g[0]).orElse(String.valueOf(gid));
        Path home = system ? Path.of("/root")
                : Path.of(env.getOrDefault("HOME", passwd.filter(p -> p.length > 5).map(p -> p[5]).orElse("/")));
        String shell = system ? "/bin/sh"
                : env.getOrDefault("SHELL", passwd.filter(p -> p.length > 6).map(p -> p[6]).orElse("/bin/sh"));
        return new Host(system, user, uid, group, gid, home, shell,
                firstLine(Path.of("/proc/sys/kernel/hostname")),
                firstLine(Path.of("/etc/machine-id")),
                firstLine(Path.of("/proc/sys/kernel/random/boot_id")).replace("-", ""),
                firstLine(Path.of("/proc/sys/kernel/osrelease")),
                architecture(System.getProperty("os.arch")),
                readOsRelease(),
                env);
    }

    /** The runtime directory root: {@code /run}, or {@code $XDG_RUNTIME_DIR} for a user manager. */
    public Path runtimeDirectory() throws InvalidValueException {
        if (system) return Path.of("/run");
        String dir = environment.get("XDG_RUNTIME_DIR");
        if (dir == null || dir.isEmpty()) throw new InvalidValueException("XDG_RUNTIME_DIR is not set");
        return Path.of(dir);
    }

    /** {@code /var/lib}, or {@code $XDG_STATE_HOME} ({@code ~/.local/state}). */
    public Path stateDirectory() {
        return system ? Path.of("/var/lib") : xdg("XDG_STATE_HOME", ".local/state");
    }

    /** {@code /var/cache}, or {@code $XDG_CACHE_HOME} ({@code ~/.cache}). */
    public Path cacheDirectory() {
        return system ? Path.of("/var/cache") : xdg("XDG_CACHE_HOME", ".cache");
    }

    /** {@code /var/log}, or {@code $XDG_STATE_HOME/log}. */
    public Path logsDirectory() {
        return system ? Path.of("/var/log") : xdg("XDG_STATE_HOME", ".local/state").resolve("log");
    }

    /** {@code /etc}, or {@code $XDG_CONFIG_HOME} ({@code ~/.config}). */
    public Path configurationDirectory() {
        return system ? Path.of("/etc") : xdg("XDG_CONFIG_HOME", ".config");
    }

    /** {@code $TMPDIR}, {@code $TEMP} or {@code $TMP} if set, else {@code /tmp}. */
    public Path temporaryDirectory() {
        return tmp("/tmp");
    }

    /** {@code $TMPDIR}, {@code $TEMP} or {@code $TMP} if set, else {@code /var/tmp}. */
    public Path persistentTemporaryDirectory() {
        return tmp("/var/tmp");
    }

    private Path tmp(String fallback) {
        for (String name : List.of("TMPDIR", "TEMP", "TMP")) {
            String v = environment.get(name);
            if (v != null && v.startsWith("/")) return Path.of(v);
        }
        return Path.of(fallback);
    }

    private Path xdg(String variable, String underHome) {
        String v = environment.get(variable);
        return v != null && v.startsWith("/") ? Path.of(v) : home.resolve(underHome);
    }

    private static int idFromStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                // "Uid:\treal\teffective\tsaved\tfs": the effective id decides who we are.
                if (line.startsWith(field)) {
                    return Integer.parseInt(line.substring(field.length()).strip().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc is not mounted: fall through to the JVM's idea of the user.
        }
        return "root".equals(System.getProperty("user.name")) ? 0 : 65534;
    }

    /** The passwd or group line whose third field is {@code id}, split at colons. */
    private static Optional<String[]> databaseEntry(Path file, int id) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(":", -1);
                if (f.length > 2 && f[2].equals(String.valueOf(id))) return Optional.of(f);
            }
        } catch (IOException e) {
            // Without the database the caller falls back to the number.
        }
        return Optional.empty();
    }

    private static String firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "" : lines.get(0).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static Map<String, String> readOsRelease() {
        var map = new HashMap<String, String>();
        for (Path file : List.of(Path.of("/etc/os-release"), Path.of("/usr/lib/os-release"))) {
            try {
                for (String line : Files.readAllLines(file)) {
                    int eq = line.indexOf('=');
                    if (eq <= 0 || line.startsWith("#")) continue;
                    String value = line.substring(eq + 1).strip();
                    try {
                        List<String> words = Words.split(value);
                        value = words.isEmpty() ? "" : words.get(0);
                    } catch (InvalidValueException e) {
                        // Keep the raw text of a malformed line.
                    }
                    map.put(line.substring(0, eq).strip(), value);
                }
                return map;
            } catch (IOException e) {
                // Try the next location.
            }
        }
        return map;
    }

    /** systemd's architecture names for the JVM's os.arch values. */
    static String architecture(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86-64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            case "aarch64" -> "arm64";
            case "arm" -> "arm";
            case "riscv64" -> "riscv64";
            case "ppc64le" -> "ppc64-le";
            case "s390x" -> "s390x";
            default -> osArch;
        };
    }
}
