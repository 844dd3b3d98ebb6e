package vigil.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import vigil.control.ControlPaths;

/**
 * The training run for the client's AOT cache (see the {@code ./vigil} launcher): {@code vigil status} in its three
 * forms (table, one service, {@code --json}) against a stand-in daemon on a socket of its own. The cache then holds
 * every class a real status loads (the socket, JSON, the text), whether or not a daemon runs when the cache is made;
 * trained against no daemon, the status path would stop at "no daemon is listening" and leave half of it out.
 */
public final class ClientTraining {
    private ClientTraining() {}

    /** Status entries shaped as the daemon sends them (docs/control-protocol.md), every field kind included. */
    private static final String SERVICES = "[{\"name\":\"web\",\"state\":\"up\",\"pid\":1234,\"want\":\"up\","
            + "\"ready\":true,\"paused\":false,\"got_term\":false,\"elapsed_ms\":5310,\"restarts\":0,"
            + "\"last_exit\":{\"code\":1},\"uid\":0,\"transient\":false,\"directory\":\"/etc/service/web\","
            + "\"command\":[\"./run\"]},{\"name\":\"web/log\",\"state\":\"backoff\",\"pid\":0,\"want\":\"up\","
            + "\"ready\":false,\"paused\":false,\"got_term\":false,\"restart_in_ms\":800,\"restarts\":3,"
            + "\"last_exit\":{\"signal\":\"SIGKILL\"},\"uid\":0,\"transient\":true,\"command\":[\"svlogd\",\"-tt\","
            + "\"/var/log/web\"]}]";

    /** {@code ClientTraining DIR}: runs the status forms against a stand-in listening in DIR, then exits. */
    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0], "control");
        Files.deleteIfExists(socket);
        ControlPaths.socket(System.getenv());
        int failures = 0;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread daemon = new Thread(() -> answer(server), "stand-in daemon");
            daemon.setDaemon(true);
            daemon.start();
            String control = socket.toString();
            for (String[] form : new String[][] {
                    {"status", "--control", control},
                    {"status", "--control", control, "web"},
                    {"status", "--json", "--control", control}}) {
                StatusCommand status = StatusCommand.parsePlain(form);
                // Exit 3 (not running) is what status says for a backing-off service: the path ran all the same.
                if (status == null || status.call() == ClientCommand.FAILURE) failures++;
            }
        } finally {
            Files.deleteIfExists(socket);
        }
        Main.halt(failures == 0 ? 0 : 1);
    }

    /** Answers each connection's status request with {@link #SERVICES}, echoing its id. */
    private static void answer(ServerSocketChannel server) {
        try {
            while (server.isOpen()) {
                try (SocketChannel client = server.accept()) {
                    String request = readLine(client);
                    int at = request.indexOf("\"id\":");
                    String id = at < 0 ? "null" : request.substring(at + 5, request.indexOf(',', at));
                    String reply = "{\"v\":1,\"id\":" + id + ",\"ok\":true,\"services\":" + SERVICES + "}\n";
                    ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
                    while (out.hasRemaining()) client.write(out);
                }
            }
        } catch (ClosedChannelException e) {
            // The training is over.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
            if (client.read(in) < 0) break;
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }
}
