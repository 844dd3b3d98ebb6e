package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A non-blocking inotify instance: watch directories, then {@link #readEvents()} when {@link #fd()} is readable.
 * Meant for one thread: reads share a native buffer. Names are decoded as UTF-8, as paths are encoded.
 */
public final class Inotify implements AutoCloseable {
    public static final int IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8,
            IN_CLOSE_NOWRITE = 0x10, IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100,
            IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800;
    /** Set by the kernel in {@link Event#mask()}. */
    public static final int IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ISDIR = 0x40000000;
    /** Flags for {@link #addWatch}. */
    public static final int IN_ONLYDIR = 0x1000000, IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000,
            IN_MASK_ADD = 0x20000000, IN_ONESHOT = 0x80000000;

    /** The kernel's queue limit is 16384 events by default; 64 KiB holds a few hundred with short names. */
    private static final int BUFFER_SIZE = 64 * 1024;
    /** struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[len]; } */
    private static final int HEADER_SIZE = 16;

    private static final MethodHandle INOTIFY_INIT1 = Native.linkErrno("inotify_init1", 1);
    private static final MethodHandle INOTIFY_ADD_WATCH = Native.linkErrno("inotify_add_watch", 3);
    private static final MethodHandle INOTIFY_RM_WATCH = Native.linkErrno("inotify_rm_watch", 2);

    /**
     * One inotify event. {@code name} is the entry's name inside the watched directory, or "" when the event is
     * about the watched object itself (IN_DELETE_SELF, IN_IGNORED) or the queue (IN_Q_OVERFLOW, wd -1).
     * {@code cookie} pairs an IN_MOVED_FROM with its IN_MOVED_TO.
     */
    public record Event(int wd, int mask, int cookie, String name) {
        public boolean is(int bits) {
            return (mask & bits) != 0;
        }
    }

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER_SIZE, 8);
    private boolean closed;

    private Inotify(int fd) {
        this.fd = fd;
    }

    /** A new inotify instance, non-blocking and close-on-exec. */
    public static Inotify create() throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int fd = (int) (long) INOTIFY_INIT1.invokeExact(slot, (long) (Fds.O_NONBLOCK | Fds.O_CLOEXEC));
            if (fd < 0) throw new OsException("inotify_init1", Native.errno(slot));
            return new Inotify(fd);
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Watches {@code path} for the events in {@code mask} and returns the watch descriptor. Watching the same
     * inode again returns the same descriptor and replaces its mask (or adds to it, with IN_MASK_ADD).
     */
    public int addWatch(Path path, int mask) throws OsException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment cPath = call.allocateFrom(path.toString());
            MemorySegment slot = Native.errnoSlot();
            int wd = (int) (long) INOTIFY_ADD_WATCH.invokeExact(slot, (long) fd, cPath.address(), (long) mask);
            if (wd < 0) throw new OsException("inotify_add_watch", path.toString(), Native.errno(slot));
            return wd;
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Stops a watch; an IN_IGNORED event for it follows. */
    public void removeWatch(int wd) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) INOTIFY_RM_WATCH.invokeExact(slot, (long) fd, (long) wd);
            if (rc < 0) throw new OsException("inotify_rm_watch", Native.errno(slot));
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Every event queued now, oldest first; empty if there are none. */
    public List<Event> readEvents() throws OsException {
        List<Event> events = new ArrayList<>();
        long n;
        // The kernel only hands out whole events, so each read ends on an event boundary.
        while ((n = Fds.read(fd, buffer, BUFFER_SIZE)) > 0) {
            for (long at = 0; at < n; ) {
                int wd = buffer.get(ValueLayout.JAVA_INT, at);
                int mask = buffer.get(ValueLayout.JAVA_INT, at + 4);
                int cookie = buffer.get(ValueLayout.JAVA_INT, at + 8);
                int length = buffer.get(ValueLayout.JAVA_INT, at + 12);
                String name = length == 0 ? ""
                        : buffer.asSlice(at + HEADER_SIZE, length).getString(0, StandardCharsets.UTF_8);
                events.add(new Event(wd, mask, cookie, name));
                at += HEADER_SIZE + length;
            }
        }
        return events;
    }

    /** Idempotent; removes every watch. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(fd);
        arena.close();
    }
}
