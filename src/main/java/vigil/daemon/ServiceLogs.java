package vigil.daemon;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import vigil.log.LogLocation;
import vigil.log.LogOptions;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.service.OutputLog;
import vigil.service.SpawnException;

/**
 * Vigil's built-in logging of service output, with no logger process: each service without a logger of its own
 * (and each logger, for its own output) gets one pipe for both stdout and stderr, whose read end stays in Vigil,
 * non-blocking on the event loop, and whose bytes go to the service's {@link LoopLog}.
 *
 * <p>Log directories are {@code ROOT/NAME} for a service and {@code ROOT/NAME.log} for the logger {@code NAME/log}
 * (a log directory cannot hold another, and {@code vigil logs NAME.log} names it without a slash); Vigil's own
 * messages go to {@code ROOT/vigil}.
 *
 * <p>Memory is bounded whatever the services write: one read buffer shared by all pipes (everything runs on the
 * loop thread) and the fixed buffer of each writer, opened only once its service has written something. Fairness: a ready pipe is read at most {@link #CHUNK} bytes per
 * loop turn, and epoll is level-triggered, so a service that writes without pause gets its turn like every other
 * fd and the rest waits in its pipe (the service blocks on write, as it would with any logger).
 */
final class ServiceLogs {
    /** Name of the log directory that holds Vigil's own messages. */
    static final String OWN_LOG = "vigil";
    /** The most read from one pipe per loop turn; also the size of a pipe's buffer on Linux by default. */
    static final int CHUNK = 64 * 1024;
    /**
     * The most read from a pipe when its service exits or is removed. Its processes are gone, but a child they
     * left behind may still write: the drain must end.
     */
    private static final int DRAIN_LIMIT = 16 * CHUNK;

    private final EventLoop loop;
    private final Path root;
    private final LogOptions options;
    private final Reporter reporter;
    private final MemorySegment buffer = Arena.ofAuto().allocate(CHUNK);

    ServiceLogs(EventLoop loop, Path root, LogOptions options, Reporter reporter) {
        this.loop = loop;
        this.root = root;
        this.options = options;
        this.reporter = reporter;
    }

    /** The log directory of service {@code name} (a logger is named {@code NAME/log}) under {@code root}. */
    static Path directory(Path root, String name) {
        String base = name.endsWith("/log") ? name.substring(0, name.length() - 4) + ".log" : name;
        return LogLocation.serviceDirectory(root, base);
    }

    /** Opens Vigil's own log; its problems are told on stderr only, never logged to itself. */
    LoopLog openOwn() throws IOException {
        return LoopLog.open(loop, directory(root, OWN_LOG), options,
                event -> reporter.sayOnStderr("log: " + event.describe()));
    }

    /**
     * Makes the pipe for service {@code name}'s output. Its log directory is opened when the first bytes arrive:
     * a service that never writes costs no directory, no lock, no open file and no buffer.
     */
    Capture open(String name) throws SpawnException {
        Path dir;
        try {
            dir = directory(root, name);
        } catch (IllegalArgumentException e) {
            throw new SpawnException("log: " + e.getMessage(), Errno.EINVAL);
        }
        int[] ends;
        try {
            ends = Fds.pipe(0);
        } catch (OsException e) {
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
        try {
            // Only Vigil's end is non-blocking: the flag belongs to the open pipe end, which children share.
            Fds.setNonBlocking(ends[0], true);
            Capture capture = new Capture(name, dir, ends[0], ends[1]);
            capture.registration = loop.watch(ends[0], Epoll.EPOLLIN, events -> capture.readChunk());
            return capture;
        } catch (OsException e) {
            Fds.close(ends[0]);
            Fds.close(ends[1]);
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
    }

    /** One service's pipe and log. Vigil holds the write end too, so the pipe outlives every run of the service. */
    final class Capture implements OutputLog {
        private final String name;
        private final Path dir;
        private final int readFd;
        private int writeFd;
        private EventLoop.Registration registration;
        /** Null until the first bytes arrive, and while the directory cannot be opened. */
        private LoopLog log;
        /** Why the directory cannot be opened, once told; null while all is well. */
        private String openFailure;

        private Capture(String name, Path dir, int readFd, int writeFd) {
            this.name = name;
            this.dir = dir;
            this.readFd = readFd;
            this.writeFd = writeFd;
        }

        /** The fd a process gets as stdout and stderr; -1 once closed. */
        int writeFd() {
            return writeFd;
        }

        /** What its processes wrote before exiting is logged before the exit is acted on, last line ended. */
        void afterExit() {
            if (writeFd < 0) return;
            drain();
            if (log != null) log.flushPartial();
        }

        @Override
        public void close() {
            if (writeFd < 0) return;
            Fds.close(writeFd);
            writeFd = -1;
            registration.cancel();
            drain();
            if (log != null) log.close();
            Fds.close(readFd);
        }

        /** One bounded read per loop turn, for fairness. */
        private void readChunk() {
            if (read() == 0) registration.cancel();
        }

        /** Reads until the pipe is empty, at EOF, or {@link #DRAIN_LIMIT} was read. */
        private void drain() {
            for (long total = 0; total < DRAIN_LIMIT; ) {
                long n = read();
                if (n <= 0) return;
                total += n;
            }
        }

        /** Logs one read; returns its count, 0 at EOF or on error, -1 if the pipe is empty. */
        private long read() {
            long n;
            try {
                n = Fds.read(readFd, buffer, CHUNK);
            } catch (OsException e) {
                return 0;
            }
            if (n > 0 && openLog()) log.append(buffer, n);
            return n;
        }

        /**
         * Whether the log is open, opening it if need be. While it cannot be, the output is read and dropped (the
         * service must not block on a full pipe), and that is told once.
         */
        private boolean openLog() {
            if (log != null) return true;
            try {
                log = LoopLog.open(loop, dir, options, event -> reporter.say(name, "log: " + event.describe()));
                if (openFailure != null) reporter.say(name, "log: " + dir + " opened; logging again");
                openFailure = null;
                return true;
            } catch (IOException e) {
                if (openFailure == null) reporter.say(name, "log: cannot open " + dir + ", so its output is dropped: "
                        + e.getMessage());
                openFailure = e.getMessage();
                return false;
            }
        }
    }
}
