package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Sockets of any address family as plain fds, for socket units: the address is a {@code struct sockaddr} in bytes,
 * built by the caller. Every fd is close-on-exec (a service that gets one as its fd 3.. gets it without through
 * vigil-exec's dup2). They are blocking unless asked otherwise, as systemd makes them: O_NONBLOCK belongs to the
 * open file description, which the service shares, and daemons that call accept() expect it to wait.
 */
public final class Sockets {
    private Sockets() {}

    public static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_VSOCK = 40;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5;
    public static final int SOL_SOCKET = 1, IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_IPV6 = 41;
    /** The FORCE variants set a buffer beyond net.core.[rw]mem_max (CAP_NET_ADMIN). */
    public static final int SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    public static final int SO_REUSEADDR = 2, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_REUSEPORT = 15,
            SO_PASSCRED = 16, SO_PASSSEC = 34, SO_MARK = 36;
    public static final int IP_TOS = 1, IP_TTL = 2, IP_FREEBIND = 15, IP_TRANSPARENT = 19;
    public static final int IPV6_UNICAST_HOPS = 16, IPV6_V6ONLY = 26, IPV6_TRANSPARENT = 75, IPV6_FREEBIND = 78;
    public static final int TCP_NODELAY = 1;

    private static final int CLOEXEC_NONBLOCK = Fds.O_CLOEXEC | Fds.O_NONBLOCK;
    /** sizeof(struct sockaddr_storage). */
    private static final int STORAGE = 128;

    /** A connection taken off a listening socket, with the peer's {@code struct sockaddr}. */
    public record Accepted(int fd, byte[] peer) {}

    public static int open(int family, int type, int protocol, boolean nonBlocking) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int flags = nonBlocking ? CLOEXEC_NONBLOCK : Fds.O_CLOEXEC;
            int fd = (int) (long) Native.Sock.SOCKET.invokeExact(slot, (long) family, (long) (type | flags),
                    (long) protocol);
            if (fd < 0) throw new OsException("socket", Native.errno(slot));
            return fd;
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void bind(int fd, byte[] sockaddr) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(Math.max(sockaddr.length, 1), 8);
            MemorySegment.copy(sockaddr, 0, address, ValueLayout.JAVA_BYTE, 0, sockaddr.length);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) Native.Sock.BIND.invokeExact(slot, (long) fd, address.address(),
                    (long) sockaddr.length);
            if (rc < 0) throw new OsException("bind", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void listen(int fd, int backlog) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) Native.Sock.LISTEN.invokeExact(slot, (long) fd, (long) backlog);
            if (rc < 0) throw new OsException("listen", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * One waiting connection, or null if none is (EAGAIN on a non-blocking listener, or reset before it was taken).
     * The connection is blocking: it becomes a service's stdin and stdout.
     */
    public static Accepted accept(int fd) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(STORAGE, 8);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, STORAGE);
            MemorySegment slot = Native.errnoSlot();
            while (true) {
                int client = (int) (long) Native.Sock.ACCEPT4.invokeExact(slot, (long) fd, address.address(),
                        length.address(), (long) Fds.O_CLOEXEC);
                if (client >= 0) {
                    int n = Math.min(STORAGE, length.get(ValueLayout.JAVA_INT, 0));
                    return new Accepted(client, address.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                }
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN || errno == Errno.ECONNABORTED) return null;
                throw new OsException("accept4", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getsockname: the address the socket is bound to. */
    public static byte[] localAddress(int fd) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(STORAGE, 8);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, STORAGE);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) Native.Sock.GETSOCKNAME.invokeExact(slot, (long) fd, address.address(),
                    length.address());
            if (rc < 0) throw new OsException("getsockname", Native.errno(slot));
            int n = Math.min(STORAGE, length.get(ValueLayout.JAVA_INT, 0));
            return address.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setsockopt with an int value. */
    public static void setOption(int fd, int level, int option, int value) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) Native.Sock.SETSOCKOPT.invokeExact(slot, (long) fd, (long) level, (long) option,
                    arena.allocateFrom(ValueLayout.JAVA_INT, value).address(), 4L);
            if (rc < 0) throw new OsException("setsockopt", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mkfifo(3); EEXIST if something is there already. */
    public static void mkfifo(Path path, int mode) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString(), StandardCharsets.UTF_8);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) Native.Sock.MKFIFO.invokeExact(slot, name.address(), (long) mode);
            if (rc < 0) throw new OsException("mkfifo", path.toString(), Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
