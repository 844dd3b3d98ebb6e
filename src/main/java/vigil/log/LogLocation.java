package vigil.log;

import java.nio.file.Path;
import java.util.Map;
import vigil.os.Children;

/**
 * Where service logs live when not told: {@code $VIGIL_LOG_DIR/NAME} if that is set (as {@code VIGIL_CONTROL} names
 * the control socket), else {@code /var/log/vigil/NAME} as root, {@code $XDG_STATE_HOME/vigil/log/NAME} otherwise
 * ({@code ~/.local/state} if XDG_STATE_HOME is unset or not absolute, as the XDG spec says).
 */
public final class LogLocation {
    private LogLocation() {}

    /** The directory of log directories for this process's user and environment. */
    public static Path defaultRoot() {
        return defaultRoot(Children.getuid(), System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultRoot(int uid, Map<String, String> env, String userHome) {
        String set = env.getOrDefault("VIGIL_LOG_DIR", "");
        if (!set.isEmpty()) return Path.of(set);
        if (uid == 0) return Path.of("/var/log/vigil");
        String state = env.getOrDefault("XDG_STATE_HOME", "");
        Path base = !state.isEmpty() && Path.of(state).isAbsolute() ? Path.of(state)
                : Path.of(env.getOrDefault("HOME", userHome), ".local", "state");
        return base.resolve("vigil").resolve("log");
    }

    /** The name that stands for Vigil's own log where a service's name would ({@code vigil logs vigil}). */
    public static final String OWN = "vigil";

    /**
     * Vigil's own log directory under {@code root}: a dot-name, which no service can have (a scan ignores
     * dot-directories, and transient services may not start with a dot), so no service's log can ever be it.
     */
    public static Path ownDirectory(Path root) {
        return root.resolve(".vigil");
    }

    /**
     * The log directory that {@code name} stands for under {@code root} when no running service answers for it:
     * {@link #OWN} is Vigil's own log, anything else a service's ({@link #serviceDirectory}).
     */
    public static Path directoryOf(Path root, String name) {
        return name.equals(OWN) ? ownDirectory(root) : serviceDirectory(root, name);
    }

    /**
     * The log directory of service {@code name} under {@code root}.
     *
     * @throws IllegalArgumentException if {@code name} could leave {@code root}: empty, ".", "..", or with a "/"
     */
    public static Path serviceDirectory(Path root, String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + name + "' is not a service name");
        }
        return root.resolve(name);
    }
}
