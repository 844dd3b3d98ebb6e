package vigil.http;

import java.io.IOException;
import java.util.function.Consumer;
import vigil.control.ControlCommands;
import vigil.loop.EventLoop;

/**
 * {@code --http}: metrics, probes, the status page and its event stream, served beside the daemon on threads of
 * their own. The daemon is only read through the loop, on request (see {@link LoopBridge}): nothing is built
 * while nobody asks, so the restart path carries no cost for it, and a slow or hostile client costs an HTTP
 * thread, never the loop's time.
 */
public final class HttpEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final HttpAddress address;

    private HttpEndpoint(HttpServer server, HttpAddress address) {
        this.server = server;
        this.address = address;
    }

    /**
     * Listens and serves; {@code commands} is the control socket's request handling, {@code daemonUid} who the
     * daemon runs as (an action with the token acts as it).
     *
     * @throws IOException naming the address, if it cannot be listened on
     */
    public static HttpEndpoint start(EventLoop loop, HttpOptions options, ControlCommands commands,
                                     DaemonView view, DaemonCounters counters, int daemonUid, Consumer<String> say)
            throws IOException {
        int fd = HttpListener.open(options.address());
        HttpAddress bound = HttpListener.bound(options.address(), fd);
        boolean unix = options.address() instanceof HttpAddress.Unix;
        LoopBridge bridge = new LoopBridge(loop, commands, commands::statusSlice, view);
        String mode = unix ? "unix" : options.token().isPresent() ? "token" : "read-only";
        HttpServer[] server = new HttpServer[1];
        Endpoints endpoints = new Endpoints(bridge, new HttpAuth(options.token(), daemonUid),
                () -> Endpoints.counters(loop.turns(), counters, bridge, server[0]), mode);
        server[0] = HttpServer.start(fd, unix, endpoints, say);
        say.accept("http: serving metrics, probes and the status page on " + bound
                + (unix ? " (actions as the caller's uid)" : options.token().isPresent()
                ? " (actions with the token)" : " (read-only)"));
        return new HttpEndpoint(server[0], bound);
    }

    public HttpAddress address() {
        return address;
    }

    /** Stops serving; a unix socket's file goes too, so the next daemon finds the path free. */
    @Override
    public void close() {
        server.close();
        if (address instanceof HttpAddress.Unix unix) {
            try {
                java.nio.file.Files.deleteIfExists(unix.path());
            } catch (IOException e) {
                // The next daemon replaces a socket nobody listens on.
            }
        }
    }
}
