package vigil.socket;

import java.util.Optional;
import vigil.os.OsException;
import vigil.os.Sockets;
import vigil.os.UnixSocket;

/**
 * The instance of an {@code Accept=yes} socket's template for one connection, named as systemd's
 * instance_from_socket_fd() names it: {@code N-LOCAL-REMOTE} for IP ({@code 3-127.0.0.1:22-127.0.0.1:40112}),
 * {@code N-PID-UID} of the peer for unix sockets, {@code N-unknown} when neither can be had.
 */
final class InstanceNames {
    private InstanceNames() {}

    static String instance(long number, int fd, byte[] peer) {
        Optional<Addresses.Peer> remote = Addresses.peer(peer);
        if (remote.isPresent()) {
            Optional<Addresses.Peer> local;
            try {
                local = Addresses.peer(Sockets.localAddress(fd));
            } catch (OsException e) {
                local = Optional.empty();
            }
            if (local.isPresent()) {
                return number + "-" + local.get().hostPort() + "-" + remote.get().hostPort();
            }
        }
        try {
            UnixSocket.PeerCredentials who = UnixSocket.peerCredentials(fd);
            return number + "-" + who.pid() + "-" + Integer.toUnsignedString(who.uid());
        } catch (OsException e) {
            return number + "-unknown";
        }
    }

    /** {@code ssh.socket} and instance {@code i}: {@code ssh@i.service}. */
    static String unitName(String socketUnit, String instance) {
        return prefix(socketUnit) + "@" + instance + ".service";
    }

    /** {@code ssh.socket}: {@code ssh@.service}. */
    static String template(String socketUnit) {
        return prefix(socketUnit) + "@.service";
    }

    private static String prefix(String socketUnit) {
        return socketUnit.substring(0, socketUnit.length() - ".socket".length());
    }
}
