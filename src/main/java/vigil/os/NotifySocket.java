package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The server end of sd_notify (sd_notify(3)): an AF_UNIX datagram socket with SO_PASSCRED, so every message
 * carries the sender's pid, uid and gid as the kernel saw them (SCM_CREDENTIALS), whatever the sender claims.
 * Fds that come with a message (SCM_RIGHTS: BARRIER=1's pipe, FDSTORE=1) are closed once it is read by
 * {@link #receive} (closing a barrier's fd after every earlier message was handled is exactly what it asks);
 * {@link #receiveWithFds} hands them to a caller that keeps an fd store.
 */
public final class NotifySocket {
    private NotifySocket() {}

    /** systemd accepts at most this much; a longer datagram is dropped as truncated. */
    public static final int MAX_MESSAGE = 4096;

    private static final int MSG_TRUNC = 0x20, MSG_CTRUNC = 0x8, MSG_DONTWAIT = 0x40;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
    /** struct msghdr on LP64: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad). */
    private static final long MSGHDR_SIZE = 56, IOV_SIZE = 16, CMSG_HEADER = 16;
    /** Room for credentials and systemd's limit of 768 fds. */
    private static final int CONTROL_SIZE = 32 + 16 + 768 * 4;

    private static final MethodHandle RECVMSG = Native.linkErrno("recvmsg", 3);

    /**
     * One message as received: who sent it, and its text (empty if it was truncated and must be ignored).
     *
     * @param fds the fds that came with it: closed already by {@link #receive}, open (close-on-exec) and the
     *            caller's to close from {@link #receiveWithFds}
     */
    public record Datagram(int pid, int uid, int gid, String text, boolean truncated, List<Integer> fds) {
        public Datagram {
            fds = List.copyOf(fds);
        }
    }

    /**
     * A non-blocking, close-on-exec datagram socket bound at {@code path} (a stale socket file there is replaced),
     * mode 0777 as systemd's: any service user may send, and the credentials say who did.
     */
    public static int open(Path path) throws OsException {
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            throw new OsException("unlink", path.toString(), Errno.EACCES);
        }
        int fd = UnixSocket.open(UnixSocket.SOCK_DGRAM | UnixSocket.SOCK_NONBLOCK);
        try {
            UnixSocket.bind(fd, path);
            UnixSocket.setOption(fd, UnixSocket.SOL_SOCKET, UnixSocket.SO_PASSCRED, 1);
            path.toFile().setWritable(true, false);
            return fd;
        } catch (OsException e) {
            Fds.close(fd);
            throw e;
        }
    }

    /** Reusable buffers for {@link #receive}: one per socket reader, used on one thread. */
    public static final class Buffers {
        private final Arena arena = Arena.ofAuto();
        final MemorySegment data = arena.allocate(MAX_MESSAGE + 1);
        final MemorySegment control = arena.allocate(CONTROL_SIZE, 8);
        final MemorySegment iov = arena.allocate(IOV_SIZE, 8);
        final MemorySegment header = arena.allocate(MSGHDR_SIZE, 8);
    }

    /** The next datagram, or empty if none is waiting; the fds that came with it are closed. */
    public static Optional<Datagram> receive(int fd, Buffers b) throws OsException {
        return receive(fd, b, false);
    }

    /** The next datagram, or empty if none is waiting, with the fds that came with it open: the caller closes them. */
    public static Optional<Datagram> receiveWithFds(int fd, Buffers b) throws OsException {
        return receive(fd, b, true);
    }

    private static Optional<Datagram> receive(int fd, Buffers b, boolean keepFds) throws OsException {
        b.iov.set(ValueLayout.ADDRESS, 0, b.data);
        b.iov.set(ValueLayout.JAVA_LONG, 8, b.data.byteSize());
        b.header.fill((byte) 0);
        b.header.set(ValueLayout.ADDRESS, 16, b.iov);
        b.header.set(ValueLayout.JAVA_LONG, 24, 1);
        b.header.set(ValueLayout.ADDRESS, 32, b.control);
        b.header.set(ValueLayout.JAVA_LONG, 40, b.control.byteSize());
        MemorySegment slot = Native.errnoSlot();
        long n;
        try {
            while (true) {
                n = (long) RECVMSG.invokeExact(slot, (long) fd, b.header.address(),
                        (long) (MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
                if (n >= 0) break;
                int errno = Native.errno(slot);
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN) return Optional.empty();
                throw new OsException("recvmsg", errno);
            }
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        int flags = b.header.get(ValueLayout.JAVA_INT, 48);
        long controlLength = b.header.get(ValueLayout.JAVA_LONG, 40);
        int pid = 0, uid = -1, gid = -1;
        List<Integer> fds = new ArrayList<>();
        for (long at = 0; at + CMSG_HEADER <= controlLength; ) {
            long length = b.control.get(ValueLayout.JAVA_LONG, at);
            int level = b.control.get(ValueLayout.JAVA_INT, at + 8);
            int type = b.control.get(ValueLayout.JAVA_INT, at + 12);
            if (length < CMSG_HEADER || at + length > controlLength) break;
            if (level == UnixSocket.SOL_SOCKET && type == SCM_CREDENTIALS && length >= CMSG_HEADER + 12) {
                pid = b.control.get(ValueLayout.JAVA_INT, at + CMSG_HEADER);
                uid = b.control.get(ValueLayout.JAVA_INT, at + CMSG_HEADER + 4);
                gid = b.control.get(ValueLayout.JAVA_INT, at + CMSG_HEADER + 8);
            } else if (level == UnixSocket.SOL_SOCKET && type == SCM_RIGHTS) {
                for (long p = at + CMSG_HEADER; p + 4 <= at + length; p += 4) {
                    int received = b.control.get(ValueLayout.JAVA_INT, p);
                    if (!keepFds) Fds.close(received);
                    fds.add(received);
                }
            }
            at += (length + 7) & ~7L;
        }
        boolean truncated = n > MAX_MESSAGE || (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
        String text = truncated ? "" : new String(b.data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8);
        return Optional.of(new Datagram(pid, uid, gid, text, truncated, fds));
    }
}
