package vigil.socket;

import java.util.Optional;
import vigil.unit.Listen;

/**
 * One bound (and, for streams, listening) fd of a socket unit.
 *
 * @param text the address as written ({@code 127.0.0.1:8080}, {@code /run/x.sock}), for messages and listings
 * @param path the file it made (a unix socket, a FIFO), removed by {@code RemoveOnStop=}
 */
record Listener(Listen.Kind kind, int fd, String text, Optional<String> path) {}
