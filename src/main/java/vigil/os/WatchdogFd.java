package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * An open hardware watchdog ({@code /dev/watchdog}, linux/watchdog.h). Opening it starts it; each write pets it;
 * a write of the magic character {@code V} just before the close stops it (unless the driver was built with
 * nowayout). Any other byte clears a {@code V} written before it, so a pet never disarms by accident.
 */
public final class WatchdogFd implements AutoCloseable {
    /** linux/watchdog.h: {@code _IOWR('W', 6, int)}, the timeout in seconds in, the one the driver took out. */
    private static final long WDIOC_SETTIMEOUT = 0xC0045706L;
    private static final byte PET = '.', MAGIC_CLOSE = 'V';

    private final Path path;
    private final int fd;
    /** The one-byte buffer of every write, native, held as long as the fd. */
    private final MemorySegment oneByte = Arena.ofAuto().allocate(1);
    private boolean closed;

    private WatchdogFd(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens {@code path} for writing, which starts a real watchdog. Non-blocking: a write never holds up the event
     * loop, whatever the file is (a FIFO with no room drops the pet, which the reader will see).
     */
    public static WatchdogFd open(Path path) throws OsException {
        return new WatchdogFd(path, Fds.open(path, Fds.O_WRONLY | Fds.O_CLOEXEC | Fds.O_NONBLOCK, 0));
    }

    public Path path() {
        return path;
    }

    /**
     * Sets the timeout: the seconds the driver took (it may round), or empty if this is no watchdog driver
     * (ENOTTY: a FIFO or a file standing in for one).
     */
    public OptionalInt setTimeout(int seconds) throws OsException {
        MemorySegment slot = Native.errnoSlot();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, seconds);
            long rc;
            try {
                rc = (long) Native.Watchdog.IOCTL.invokeExact(slot, (long) fd, WDIOC_SETTIMEOUT,
                        Native.address(value));
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            if ((int) rc < 0) {
                int errno = Native.errno(slot);
                if (errno == Errno.ENOTTY) return OptionalInt.empty();
                throw new OsException("set the watchdog timeout of", path.toString(), errno);
            }
            return OptionalInt.of(value.get(ValueLayout.JAVA_INT, 0));
        }
    }

    /** Pets the watchdog: its countdown starts again. */
    public void pet() throws OsException {
        write(PET);
    }

    /** Writes the magic close and closes: the watchdog stops (a driver with nowayout keeps counting). */
    public void disarm() throws OsException {
        try {
            write(MAGIC_CLOSE);
        } finally {
            close();
        }
    }

    private void write(byte b) throws OsException {
        oneByte.set(ValueLayout.JAVA_BYTE, 0, b);
        if (Fds.write(fd, oneByte, 1) != 1) throw new OsException("write to", path.toString(), Errno.EAGAIN);
    }

    /** Closes without the magic character: a real watchdog keeps counting, and resets the machine at its end. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.close(fd);
    }
}
