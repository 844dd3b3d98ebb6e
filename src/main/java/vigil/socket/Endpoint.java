package vigil.socket;

import java.util.Optional;

/**
 * One address a socket unit listens on, as the kernel takes it: what to pass to socket(2) and bind(2).
 *
 * @param text the address as the unit wrote it, for messages and {@code list-sockets}
 * @param path the file the socket makes in the file system (a unix path, a FIFO, a special file), if any
 */
record Endpoint(int family, int type, int protocol, byte[] sockaddr, String text, Optional<String> path) {
    Endpoint {
        sockaddr = sockaddr.clone();
    }

    @Override
    public byte[] sockaddr() {
        return sockaddr.clone();
    }
}
