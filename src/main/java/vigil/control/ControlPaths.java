package vigil.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the control socket is: {@code --control PATH}, else {@code $VIGIL_CONTROL}, else
 * {@code /run/vigil/control} for root and {@code $XDG_RUNTIME_DIR/vigil/control} for anyone else. The daemon's
 * runtime state (transient services, supervise/ of read-only service directories) lives beside the socket.
 */
public final class ControlPaths {
    private ControlPaths() {}

    public static final Path SYSTEM_SOCKET = Path.of("/run/vigil/control");

    /** The socket for this process's uid and the environment. */
    public static Optional<Path> socket(Map<String, String> env) {
        String override = env.get("VIGIL_CONTROL");
        if (override != null && !override.isEmpty()) return Optional.of(Path.of(override));
        return socket(env, currentUid());
    }

    /** The socket for this uid and environment; empty for a user without XDG_RUNTIME_DIR and no override. */
    public static Optional<Path> socket(Map<String, String> env, int uid) {
        String override = env.get("VIGIL_CONTROL");
        if (override != null && !override.isEmpty()) return Optional.of(Path.of(override));
        if (uid == 0) return Optional.of(SYSTEM_SOCKET);
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime == null || runtime.isEmpty()) return Optional.empty();
        return Optional.of(Path.of(runtime, "vigil", "control"));
    }

    /** The directory beside the socket, where the daemon keeps runtime state. */
    public static Path runtimeDirectory(Path socket) {
        return socket.toAbsolutePath().getParent();
    }

    /** This process's uid, read from /proc (no FFM needed, which keeps the CLI's start-up short). */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self: " + e.getMessage(), e);
        }
    }
}
