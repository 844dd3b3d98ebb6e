package vigil.daemon;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import vigil.log.LogEvent;
import vigil.log.LogLocation;
import vigil.log.LogLockedException;
import vigil.log.LogOptions;
import vigil.log.LogOwner;
import vigil.loop.EventLoop;
import vigil.os.DirFd;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Spawner;
import vigil.service.OutputLog;
import vigil.service.SpawnException;

/**
 * Vigil's built-in logging of service output, with no logger process: each service without a logger of its own
 * (and each logger, for its own output) gets one pipe for both stdout and stderr, read on the event loop into the
 * service's {@link LoopLog}.
 *
 * <p>Log directories are {@code ROOT/NAME} for a service and {@code ROOT/NAME.log} for the logger {@code NAME/log}
 * (a log directory cannot hold another, and {@code vigil logs NAME.log} names it without a slash), unless the
 * service directory's {@code log-dir} says otherwise; Vigil's own messages go to {@code ROOT/.vigil}, a name no
 * service can have.
 *
 * <p><b>One fd per service.</b> Vigil's table holds only the pipe's read end (two fds per service would not fit 5000
 * services in a 20000-fd limit that cannot be raised). The spawner keeps the write end ({@link Spawner#keep}) in
 * its fd-keeper thread's file table, and every child gets a copy from there. So the pipe never hangs up while the
 * service exists: a service's death wakes Vigil once, for the death, and not first for the pipe's EOF in the
 * middle of the dying process's exit. A grandchild that outlives its parent goes on feeding the same pipe. An open
 * log directory costs three more fds (the directory, lock and current) and a buffer: at most {@code maxOpen} are
 * open at once, and
 * the one written least recently is closed to make room; it is reopened when its service writes again.
 *
 * <p>Memory is bounded whatever the services write: one read buffer shared by all pipes (everything runs on the
 * loop thread) and each open writer's fixed buffer. Fairness: a ready pipe is read at most {@link #CHUNK} bytes
 * per loop turn, and epoll is level-triggered, so a service that writes without pause gets its turn like every
 * other fd and the rest waits in its pipe (the service blocks on write, as it would with any logger). Disk work is
 * a bounded write(2) or rename(2) per chunk on the loop; a full disk is the writer's business (see
 * {@link vigil.log.LogWriter}): it never blocks a pipe.
 */
final class ServiceLogs {
    /** The most read from one pipe per loop turn; also the size of a pipe's buffer on Linux by default. */
    static final int CHUNK = 64 * 1024;
    /**
     * The most read from a pipe when its service exits or is removed. Its processes are gone, but a child they
     * left behind may still write: the drain must end.
     */
    private static final int DRAIN_LIMIT = 16 * CHUNK;
    private static final long RETRY_OPEN_NANOS = 1_000_000_000L;
    /** While the disk stays full, rotated files removed for room are told about at most this often. */
    private static final long REMOVAL_REPORT_NANOS = 60_000_000_000L;

    private final EventLoop loop;
    private final Spawner spawner;
    private final Path root;
    private final LogOptions options;
    private final Reporter reporter;
    private final int maxOpen;
    /** Whether this daemon is root: only root can give log files to their service's user and group adm. */
    private final boolean asRoot;
    /** Group adm, which reads every log after root, if the system has it. */
    private final OptionalInt readers;
    private final MemorySegment buffer = Arena.ofAuto().allocate(CHUNK);
    /** Captures whose log directory is open. */
    private final Set<Capture> open = new HashSet<>();
    /** Counts appends: a capture's {@code lastWrite} orders the open ones by recency. */
    private long writes;

    /**
     * @param spawner what spawns the services, and keeps the write ends of their pipes
     * @param root    where log directories go unless a service says otherwise
     * @param maxOpen how many log directories may be open at once (three fds each)
     */
    ServiceLogs(EventLoop loop, Spawner spawner, Path root, LogOptions options, Reporter reporter, int maxOpen) {
        this.loop = loop;
        this.spawner = spawner;
        this.root = root;
        this.options = options;
        this.reporter = reporter;
        this.maxOpen = Math.max(1, maxOpen);
        this.asRoot = DirFd.effectiveUid() == 0;
        this.readers = asRoot ? LogOwner.readersGroup(Path.of("/etc/group")) : OptionalInt.empty();
    }

    /** Who gets the files of a log whose writers all ran as {@code uid} (-1: root, or whoever runs Vigil). */
    private LogOwner owner(int uid) {
        return asRoot ? LogOwner.forService(Math.max(uid, 0), readers) : LogOwner.KEEP;
    }

    /** Where log directories go by default. */
    Path root() {
        return root;
    }

    /** The default log directory of service {@code name} (a logger is named {@code NAME/log}) under {@code root}. */
    static Path directory(Path root, String name) {
        String base = name.endsWith("/log") ? name.substring(0, name.length() - 4) + ".log" : name;
        return LogLocation.serviceDirectory(root, base);
    }

    /** Opens Vigil's own log; its problems are told on stderr only, never logged to itself. */
    LoopLog openOwn() throws IOException {
        return LoopLog.open(loop, LogLocation.ownDirectory(root), options, owner(-1),
                event -> reporter.sayOnStderr("log: " + event.describe()));
    }

    /**
     * Makes the pipe for the output of {@code spec}'s processes. Its log directory is opened when the first bytes
     * arrive: a service that never writes costs no directory, no lock, no open file and no buffer.
     */
    Capture open(String name, Optional<Path> directory) throws SpawnException {
        Path dir;
        try {
            dir = directory.orElseGet(() -> directory(root, name)).toAbsolutePath();
        } catch (IllegalArgumentException e) {
            throw new SpawnException("log: " + e.getMessage(), Errno.EINVAL);
        }
        int[] ends;
        try {
            ends = Fds.pipe(0);
        } catch (OsException e) {
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
        Spawner.Kept writeEnd;
        try {
            // Only the read end is non-blocking: a service writing faster than its log keeps up waits, as it
            // would for any logger.
            Fds.setNonBlocking(ends[0], true);
        } catch (OsException e) {
            Fds.close(ends[0]);
            Fds.close(ends[1]);
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
        try {
            writeEnd = spawner.keep(ends[1]);
        } catch (OsException e) {
            Fds.close(ends[0]);
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
        Capture capture = new Capture(name, dir, ends[0], writeEnd);
        try {
            capture.registration = loop.watch(ends[0], Epoll.EPOLLIN, events -> capture.read());
        } catch (OsException e) {
            capture.close();
            throw new SpawnException("log: " + e.getMessage(), e.errno());
        }
        return capture;
    }

    /**
     * A capture an old daemon handed over ({@code daemon-reexec}): the same pipe, whose unread bytes wait in it, and
     * the partial line the old daemon had read but not ended, which the next bytes go on.
     */
    Capture adopt(String name, Optional<Path> directory, int readFd, int writeFd, byte[] partial)
            throws OsException {
        Path dir = directory.orElseGet(() -> directory(root, name)).toAbsolutePath();
        Spawner.Kept writeEnd = spawner.keep(writeFd);
        Capture capture = new Capture(name, dir, readFd, writeEnd);
        try {
            capture.registration = loop.watch(readFd, Epoll.EPOLLIN, events -> capture.read());
        } catch (OsException e) {
            capture.close();
            throw e;
        }
        capture.carryOn(partial);
        return capture;
    }

    /** Closes the log directory written least recently, to make room for another. */
    private void closeLeastRecent() {
        Capture oldest = null;
        for (Capture c : open) if (oldest == null || c.lastWrite < oldest.lastWrite) oldest = c;
        if (oldest != null) oldest.closeLog();
    }

    /** One service's pipe and log. */
    final class Capture implements OutputLog {
        private static final int UNKNOWN = Integer.MIN_VALUE;

        private final String name;
        private final Path dir;
        /** Vigil's read end; -1 once closed. */
        private int readFd;
        /** The write end, kept by the spawner for the children; null once released. */
        private Spawner.Kept writeEnd;
        /** How many processes Vigil spawned write here and have not exited yet. */
        private int writers;
        /** Null once no writer is left (after the close, at EOF). */
        private EventLoop.Registration registration;
        /** Null until bytes arrive, while the directory cannot be opened, and after it was closed for room. */
        private LoopLog log;
        private long lastWrite;
        /** The uid every process that wrote here ran as (-1: Vigil's own, or several), {@link #UNKNOWN} before one. */
        private int ownerUid = UNKNOWN;
        /** Why the directory cannot be opened, once told; null while all is well. */
        private String openFailure;
        private long retryOpenAt;
        private long dropped;
        /** What was logged in all, for metrics: counted here, as the log itself may be closed and reopened. */
        private long loggedBytes, loggedLines;
        /** Rotated files removed for room and not yet told; when that was last told. */
        private int removedUntold;
        private long removalToldAt;
        private boolean removalTold;

        /** Bytes logged so far; on the loop thread. */
        long loggedBytes() {
            return loggedBytes;
        }

        /** Lines logged so far; on the loop thread. */
        long loggedLines() {
            return loggedLines;
        }

        private Capture(String name, Path dir, int readFd, Spawner.Kept writeEnd) {
            this.name = name;
            this.dir = dir;
            this.readFd = readFd;
            this.writeEnd = writeEnd;
        }

        /** The log directory. */
        Path directory() {
            return dir;
        }

        /** The write end for a child about to be spawned. */
        Spawner.Kept writeEnd() throws OsException {
            if (writeEnd == null) throw new OsException("log pipe is closed", Errno.EBADF);
            return writeEnd;
        }

        /** The pipe's fds and the partial line, as {@code daemon-reexec} hands them over. */
        record HandedOver(int readFd, int writeFd, byte[] partial) {}

        /**
         * Gets ready for the exec: the log directory is closed (its lines written, a partial one kept back, not
         * ended) and the write end copied into the process's table. The read end stays watched: if the exec fails,
         * {@link #execFailed} puts things back.
         */
        HandedOver handOver() throws OsException {
            int write = spawner.copyOut(writeEnd());
            byte[] partial = new byte[0];
            if (log != null) {
                partial = log.closeKeepingPartial();
                log = null;
                open.remove(this);
            }
            return new HandedOver(readFd, write, partial);
        }

        /** The exec failed: the copy of the write end goes, and the partial line is taken up again. */
        void execFailed(HandedOver handedOver) {
            Fds.close(handedOver.writeFd());
            carryOn(handedOver.partial());
        }

        private void carryOn(byte[] partial) {
            if (partial.length == 0 || !openLog()) return;
            MemorySegment bytes = Arena.ofAuto().allocate(partial.length);
            MemorySegment.copy(partial, 0, bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, partial.length);
            log.append(bytes, partial.length);
            lastWrite = ++writes;
        }

        /**
         * A process Vigil spawned writes here from now on, as {@code uid} (-1: as Vigil). The files are given to a
         * service's user only while everything that wrote them ran as that user: the first writer of another uid
         * makes them root's (Vigil's) for good, and an open log is closed so that it reopens so, before any of
         * that writer's output is read.
         */
        void writerStarted(int uid) {
            writers++;
            int owner = ownerUid == UNKNOWN || ownerUid == uid ? uid : -1;
            if (owner == ownerUid) return;
            boolean wasKnown = ownerUid != UNKNOWN;
            ownerUid = owner;
            if (wasKnown) closeLog();
        }

        /**
         * A process writing here exited: what it wrote is logged before its exit is acted on. Once no process
         * Vigil spawned writes here any more, a partial last line is ended, so a restart's first line is not glued
         * on (while another still runs, a unit's main process beside a control process, its line may go on).
         */
        void afterExit() {
            drain();
            writers = Math.max(0, writers - 1);
            if (writers == 0 && log != null) log.flushPartial();
        }

        /** Rotates its log now, opening the directory if need be; false if it cannot be opened. */
        boolean rotate() {
            if (readFd < 0 || !openLog()) return false;
            log.rotate();
            return true;
        }

        @Override
        public void close() {
            if (readFd < 0) return;
            if (writeEnd != null) spawner.release(writeEnd);
            writeEnd = null;
            drain();
            unwatch();
            closeLog();
            if (dropped > 0) reporter.say(name, "log: dropped " + dropped + " bytes: " + openFailure);
            Fds.close(readFd);
            readFd = -1;
        }

        /** Reads until the pipe is empty, at EOF, or {@link #DRAIN_LIMIT} was read. */
        private void drain() {
            for (long total = 0; total < DRAIN_LIMIT; ) {
                long n = read();
                if (n <= 0) return;
                total += n;
            }
        }

        /** Logs one read of at most {@link #CHUNK}; returns its count, 0 at EOF or on error, -1 if empty. */
        private long read() {
            if (readFd < 0) return 0;
            long n;
            try {
                n = Fds.read(readFd, buffer, CHUNK);
            } catch (OsException e) {
                n = 0;
            }
            if (n > 0) {
                if (openLog()) {
                    long linesBefore = log.lines();
                    log.append(buffer, n);
                    loggedBytes += n;
                    loggedLines += log.lines() - linesBefore;
                    lastWrite = ++writes;
                } else {
                    dropped += n;
                }
            } else if (n == 0) {
                // No writer is left (the pipe was closed, and no orphan holds it): level-triggered epoll would
                // report EPOLLHUP for ever.
                unwatch();
                if (log != null) log.flushPartial();
            }
            return n;
        }

        /**
         * Tells what the writer reports. A disk that stays full makes it remove a rotated file at every rotation:
         * that is said once, then summed up at most once a minute.
         */
        private void tell(LogEvent event) {
            if (event instanceof LogEvent.RemovedForSpace) {
                long now = System.nanoTime();
                removedUntold++;
                if (removalTold && now - removalToldAt < REMOVAL_REPORT_NANOS) return;
                reporter.say(name, "log: " + (removalTold ? "disk still full, removed " + removedUntold
                        + " more rotated files" : event.describe() + "; the oldest rotated files go first"));
                removalTold = true;
                removalToldAt = now;
                removedUntold = 0;
                return;
            }
            reporter.say(name, "log: " + event.describe());
        }

        private void unwatch() {
            if (registration == null) return;
            registration.cancel();
            registration = null;
        }

        private void closeLog() {
            if (log == null) return;
            log.close();
            log = null;
            open.remove(this);
        }

        /**
         * Whether the log is open, opening it if need be (at most once a second while it fails). While it cannot
         * be, the output is read and dropped (the service must not block on a full pipe), and that is told once.
         */
        private boolean openLog() {
            if (log != null) return true;
            long now = System.nanoTime();
            if (openFailure != null && now - retryOpenAt < 0) return false;
            if (open.size() >= maxOpen) closeLeastRecent();
            try {
                log = LoopLog.open(loop, dir, options, owner(ownerUid == UNKNOWN ? -1 : ownerUid), this::tell);
            } catch (IOException e) {
                String why = e instanceof LogLockedException ? "another logger holds it" : e.getMessage();
                if (openFailure == null) {
                    reporter.say(name, "log: cannot open " + dir + ", so its output is dropped until it can be: "
                            + why);
                }
                openFailure = why;
                retryOpenAt = now + RETRY_OPEN_NANOS;
                return false;
            }
            open.add(this);
            if (openFailure != null) {
                reporter.say(name, "log: " + dir + " opened; logging again after dropping " + dropped + " bytes");
                openFailure = null;
                dropped = 0;
            }
            return true;
        }
    }
}
