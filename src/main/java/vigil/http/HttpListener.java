package vigil.http;

import java.io.IOException;
import java.net.Inet6Address;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Sockets;
import vigil.os.UnixSocket;

/** The listening socket of {@code --http}, and what it is bound to (the port the kernel chose for port 0). */
final class HttpListener {
    private static final int BACKLOG = 1024;

    private HttpListener() {}

    /** A bound, listening, blocking socket. */
    static int open(HttpAddress address) throws IOException {
        return switch (address) {
            case HttpAddress.Tcp tcp -> openTcp(tcp);
            case HttpAddress.Unix unix -> openUnix(unix.path());
        };
    }

    /** The address to tell people: the real port where 0 was asked for. */
    static HttpAddress bound(HttpAddress asked, int fd) {
        if (!(asked instanceof HttpAddress.Tcp tcp) || tcp.port() != 0) return asked;
        try {
            byte[] local = Sockets.localAddress(fd);
            return new HttpAddress.Tcp(tcp.address(), (local[2] & 0xff) << 8 | (local[3] & 0xff));
        } catch (OsException e) {
            return asked;
        }
    }

    private static int openTcp(HttpAddress.Tcp tcp) throws IOException {
        int family = tcp.address() instanceof Inet6Address ? Sockets.AF_INET6 : Sockets.AF_INET;
        int fd = Sockets.open(family, Sockets.SOCK_STREAM, 0, false);
        try {
            Sockets.setOption(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1);
            Sockets.bind(fd, tcp.sockaddr());
            Sockets.listen(fd, BACKLOG);
            return fd;
        } catch (OsException e) {
            Fds.close(fd);
            throw new IOException("cannot listen on " + tcp + ": " + e.getMessage());
        }
    }

    private static int openUnix(Path path) throws IOException {
        removeStale(path);
        int fd = UnixSocket.open(UnixSocket.SOCK_STREAM);
        try {
            UnixSocket.bind(fd, path);
            // Anyone may connect; what each may do is decided by the uid the kernel reports (SO_PEERCRED).
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
            UnixSocket.listen(fd, BACKLOG);
            return fd;
        } catch (OsException e) {
            Fds.close(fd);
            throw new IOException("cannot listen on unix:" + path + ": " + e.getMessage());
        }
    }

    /** A socket file nobody listens on any more (a daemon that died) is replaced; a live one is not. */
    private static void removeStale(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return;
        }
        if (!attributes.isOther()) throw new IOException("unix:" + path + ": exists and is not a socket");
        int probe = UnixSocket.open(UnixSocket.SOCK_STREAM);
        try {
            UnixSocket.connect(probe, path);
            throw new IOException("unix:" + path + ": another server listens there");
        } catch (OsException refused) {
            Files.deleteIfExists(path);
        } finally {
            Fds.close(probe);
        }
    }
}
