package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * AF_UNIX sockets as plain fds: make, bind, listen, accept, connect, ask the kernel who the peer is, set options,
 * send. Every fd is close-on-exec. Reading uses {@link Fds#read}; sending uses {@link #send}, which never raises
 * SIGPIPE (a client that went away is an error return, not a signal).
 *
 * <p>The peer's identity comes from the kernel ({@link #peerCredentials}): whatever a client writes, it cannot
 * claim to be someone else.
 */
public final class UnixSocket {
    private UnixSocket() {}

    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
    /** Flags or'ed into the type of {@link #open}: the fd starts non-blocking. */
    public static final int SOCK_NONBLOCK = Fds.O_NONBLOCK;
    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7, SO_RCVBUF = 8, SO_PASSCRED = 16, SO_PEERCRED = 17;

    private static final int AF_UNIX = 1;
    private static final int SOCK_CLOEXEC = Fds.O_CLOEXEC;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(struct sockaddr_un): a 2-byte family, then 108 bytes of path. */
    private static final int SUN_PATH_OFFSET = 2, SUN_PATH_SIZE = 108;

    private static final MethodHandle SOCKET = Native.linkErrno("socket", 3);
    private static final MethodHandle BIND = Native.linkErrno("bind", 3);
    private static final MethodHandle LISTEN = Native.linkErrno("listen", 2);
    private static final MethodHandle ACCEPT4 = Native.linkErrno("accept4", 4);
    private static final MethodHandle CONNECT = Native.linkErrno("connect", 3);
    private static final MethodHandle GETSOCKOPT = Native.linkErrno("getsockopt", 5);
    private static final MethodHandle SETSOCKOPT = Native.linkErrno("setsockopt", 5);
    private static final MethodHandle SEND = Native.linkErrno("send", 4);

    /** Who is at the other end of a connected socket, as the kernel recorded it at connect (or socketpair). */
    public record PeerCredentials(int pid, int uid, int gid) {}

    /**
     * A new AF_UNIX socket of {@code type} ({@link #SOCK_STREAM}, {@link #SOCK_DGRAM}...), optionally or'ed with
     * {@link #SOCK_NONBLOCK}.
     */
    public static int open(int type) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int fd = (int) (long) SOCKET.invokeExact(slot, (long) AF_UNIX, (long) (type | SOCK_CLOEXEC), 0L);
            if (fd < 0) throw new OsException("socket", Native.errno(slot));
            return fd;
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Binds the socket to a path in the file system; the socket file must not exist yet (EADDRINUSE). */
    public static void bind(int fd, Path path) throws OsException {
        addressCall(BIND, "bind", fd, path);
    }

    /** Starts accepting connections, with up to {@code backlog} waiting to be accepted. */
    public static void listen(int fd, int backlog) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) LISTEN.invokeExact(slot, (long) fd, (long) backlog);
            if (rc < 0) throw new OsException("listen", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Accepts one connection as a non-blocking, close-on-exec fd; -1 if none is waiting (EAGAIN on a non-blocking
     * listener). A connection that was reset before it was accepted (ECONNABORTED) also gives -1.
     */
    public static int accept(int fd) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            while (true) {
                int client = (int) (long) ACCEPT4.invokeExact(slot, (long) fd, MemorySegment.NULL.address(),
                        MemorySegment.NULL.address(), (long) (SOCK_NONBLOCK | SOCK_CLOEXEC));
                if (client >= 0) return client;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN || errno == Errno.ECONNABORTED) return -1;
                throw new OsException("accept4", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Connects to the socket at {@code path}; a blocking socket waits for room in the listener's backlog. */
    public static void connect(int fd, Path path) throws OsException {
        addressCall(CONNECT, "connect", fd, path);
    }

    /** SO_PEERCRED: the pid, uid and gid of the process that connected (or listened, seen from a client). */
    public static PeerCredentials peerCredentials(int fd) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ucred = arena.allocate(12, 4);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 12);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) GETSOCKOPT.invokeExact(slot, (long) fd, (long) SOL_SOCKET, (long) SO_PEERCRED,
                    ucred.address(), length.address());
            if (rc < 0) throw new OsException("getsockopt(SO_PEERCRED)", Native.errno(slot));
            return new PeerCredentials(ucred.get(ValueLayout.JAVA_INT, 0), ucred.get(ValueLayout.JAVA_INT, 4),
                    ucred.get(ValueLayout.JAVA_INT, 8));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setsockopt with an int value, e.g. ({@link #SOL_SOCKET}, {@link #SO_PASSCRED}, 1). */
    public static void setOption(int fd, int level, int option, int value) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) SETSOCKOPT.invokeExact(slot, (long) fd, (long) level, (long) option,
                    arena.allocateFrom(ValueLayout.JAVA_INT, value).address(), 4L);
            if (rc < 0) throw new OsException("setsockopt", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getsockopt of an int value, e.g. ({@link #SOL_SOCKET}, {@link #SO_SNDBUF}). */
    public static int option(int fd, int level, int option) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 4);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) GETSOCKOPT.invokeExact(slot, (long) fd, (long) level, (long) option,
                    value.address(), length.address());
            if (rc < 0) throw new OsException("getsockopt", Native.errno(slot));
            return value.get(ValueLayout.JAVA_INT, 0);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Sends up to {@code length} bytes with MSG_NOSIGNAL: the count, or -1 if a non-blocking socket is full.
     * A peer that has gone fails with EPIPE or ECONNRESET instead of killing Vigil with SIGPIPE.
     */
    public static long send(int fd, MemorySegment buffer, long length) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            long address = Native.address(buffer);
            while (true) {
                long n = (long) SEND.invokeExact(slot, (long) fd, address, length, (long) MSG_NOSIGNAL);
                if (n >= 0) return n;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN) return -1;
                throw new OsException("send", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void addressCall(MethodHandle call, String name, int fd, Path path) throws OsException {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_SIZE || bytes.length == 0) {
            throw new OsException(name, path.toString(), Errno.ENAMETOOLONG);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SUN_PATH_OFFSET + SUN_PATH_SIZE, 2);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(bytes, 0, address, ValueLayout.JAVA_BYTE, SUN_PATH_OFFSET, bytes.length);
            MemorySegment slot = Native.errnoSlot();
            while (true) {
                int rc = (int) (long) call.invokeExact(slot, (long) fd, address.address(),
                        (long) (SUN_PATH_OFFSET + bytes.length + 1));
                if (rc == 0) return;
                int errno = Native.errno(slot);
                // A connect interrupted by a signal goes on in the background; waiting for it is the caller's.
                if (errno == Errno.EINTR && call == BIND) continue;
                throw new OsException(name, path.toString(), errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
