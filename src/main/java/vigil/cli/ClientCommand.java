package vigil.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import vigil.control.ControlClient;
import vigil.control.ControlPaths;
import vigil.control.Protocol;

/**
 * What every command that talks to a running daemon shares: finding the control socket, connecting, and turning
 * error replies into a message on stderr and an exit code (see {@link Main}'s help).
 */
abstract class ClientCommand implements Callable<Integer> {
    static final int OK = 0, FAILURE = 1, NOT_RUNNING = 3;

    @Option(names = "--control", paramLabel = "PATH",
            description = "the daemon's control socket (default: $VIGIL_CONTROL, else /run/vigil/control for root "
                    + "and $XDG_RUNTIME_DIR/vigil/control for others)")
    Path control;

    /** This command's place in the command line, for the options given before it; null on the fast path. */
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    final PrintStream out = System.out;
    final PrintStream err = System.err;

    @Override
    public final Integer call() {
        Optional<Integer> offline = withoutDaemon();
        if (offline.isPresent()) return offline.get();
        Path socket = socket();
        if (socket == null) {
            err.println("vigil: no control socket to talk to: XDG_RUNTIME_DIR is not set; give one with --control "
                    + "PATH or VIGIL_CONTROL (the system daemon's is " + ControlPaths.SYSTEM_SOCKET + ")");
            return NOT_RUNNING;
        }
        ControlClient client;
        try {
            client = ControlClient.connect(socket);
        } catch (IOException e) {
            return cannotConnect(socket, e);
        }
        try (client) {
            return run(client);
        } catch (Failed f) {
            err.println("vigil: " + f.getMessage());
            return f.exitCode;
        } catch (IOException e) {
            err.println("vigil: lost the connection to the daemon on " + socket + ": " + e.getMessage());
            return FAILURE;
        }
    }

    /**
     * For a command that can do its work on files alone when told where they are ({@code enable --units DIR}): its
     * exit code then; empty if it needs the daemon.
     */
    Optional<Integer> withoutDaemon() {
        return Optional.empty();
    }

    /** Does the command's work; returns the exit code. */
    abstract int run(ControlClient client) throws IOException, Failed;

    private Path socket() {
        if (control != null) return control;
        // Only where picocli parsed the line: the plain status path must load no picocli class (nor RootCommand,
        // whose verification loads some), or it leaves the AOT cache.
        Path global = commandSpec == null ? null : RootCommand.globalControl(commandSpec);
        if (global != null) return global;
        return ControlPaths.socket(System.getenv()).orElse(null);
    }

    private int cannotConnect(Path socket, IOException e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof NoSuchFileException || reason.contains("Connection refused")
                || reason.contains("No such file")) {
            err.println("vigil: no daemon is listening on " + socket + " (" + reason + ")");
            return NOT_RUNNING;
        }
        if (e instanceof AccessDeniedException || reason.contains("Permission denied")) {
            err.println("vigil: cannot connect to " + socket + ": permission denied: uid "
                    + ControlPaths.currentUid() + " may not open the socket or a directory above it");
            return FAILURE;
        }
        err.println("vigil: cannot connect to " + socket + ": " + reason);
        return FAILURE;
    }

    /** Sends the request; returns the reply if it says ok, else throws with its message and exit code. */
    static Map<String, Object> expectOk(ControlClient client, Map<String, Object> request)
            throws IOException, Failed {
        return checked(client.call(request));
    }

    static Map<String, Object> checked(Map<String, Object> reply) throws Failed {
        if (Boolean.TRUE.equals(reply.get("ok"))) return reply;
        Protocol.Error error = Protocol.Error.of(String.valueOf(reply.get("error")));
        // A malformed request is this client's fault, not the user's: not a usage error.
        int code = error == Protocol.Error.BAD_REQUEST ? FAILURE : error.exitCode();
        throw new Failed(String.valueOf(reply.get("message")), code);
    }

    /** The reply said no; its message names the service and the reason. */
    static final class Failed extends Exception {
        final int exitCode;

        Failed(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    static Optional<Object> field(Map<String, Object> map, String key) {
        return Optional.ofNullable(map.get(key));
    }
}
