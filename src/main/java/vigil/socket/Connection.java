package vigil.socket;

import java.util.Map;

/**
 * One connection accepted by an {@code Accept=yes} socket, held by Vigil until its instance is gone.
 *
 * @param source what {@code MaxConnectionsPerSource=} counts it under: the peer's address, or its uid
 */
record Connection(String socketUnit, String instance, int fd, String source, Map<String, String> environment) {}
