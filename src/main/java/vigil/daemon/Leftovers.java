package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.daemon.LeftoverCheck.ProcessFacts;
import vigil.daemon.LeftoverCheck.Recorded;
import vigil.loop.EventLoop;
import vigil.model.StopPolicy;
import vigil.os.Children;
import vigil.os.DirFd;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.FileSystem;
import vigil.os.OsException;
import vigil.os.Signals;
import vigil.supervise.StatusFile;
import vigil.supervise.SuperviseState;

/**
 * Finds what a previous Vigil left running when it died (kill -9, a crash: its services are reparented and keep
 * running), and stops it before the service starts anew, so that no service ever runs twice. Until cgroups say
 * which processes are a service's, the record is what that Vigil wrote: the pid and start time in
 * {@code supervise/status} (of service directories and of transient services, which are stopped and not started
 * again), and in each unit's record ({@link UnitPidFiles}).
 *
 * <p>A pid alone proves nothing (it may have been recycled), so a pidfd is taken first, then {@code /proc/PID/stat}
 * read, then the pidfd checked to be still running: the facts are those of the process the pidfd holds, and every
 * signal goes through it. {@link LeftoverCheck} decides. Stopping runs on the loop: the service's down signal and
 * CONT, the pidfd's readability says it is gone, a timer sends KILL. A process that outlives even KILL (stuck in
 * the kernel) is reported, and the service is not started while it lives: two copies are worse than none.
 */
final class Leftovers {
    /** KILL after this when the service's policy never sends it (its default): a leftover must not block a start. */
    static final Duration DEFAULT_KILL_AFTER = Duration.ofSeconds(10);
    /** How long after KILL a process still there is reported as stuck. */
    private static final Duration STUCK_AFTER_KILL = Duration.ofSeconds(5);
    /** USER_HZ, the unit of {@code /proc/PID/stat}'s times: 100 on every architecture Linux runs Java on. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private final EventLoop loop;
    private final Reporter reporter;
    private final int selfPid = Children.getpid();
    private final int uid = Children.getuid();
    /** When the machine booted, by the wall clock: {@code /proc} counts start times from it. Read once needed. */
    private Instant bootTime;

    /** A process found to be a leftover, held by its pidfd until it is gone. */
    record Found(String owner, int pid, Instant started, int pidfd, int downSignal, Duration killAfter) {}

    Leftovers(EventLoop loop, Reporter reporter) {
        this.loop = loop;
        this.reporter = reporter;
    }

    /**
     * What {@code supervise/status} in {@code superviseDir} names as running, if anything. Only a status file that
     * this daemon's user owns is believed, opened without following a symlink: a user who can write a root
     * service's directory must not make root signal a process of his choosing.
     */
    Optional<Recorded> recordedIn(String owner, Path superviseDir) {
        Path status = superviseDir.resolve("status");
        int fd;
        try {
            fd = Fds.open(status, Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK, 0);
        } catch (OsException e) {
            if (e.errno() != Errno.ENOENT) reporter.say(owner, "cannot read " + status + ": " + e.getMessage());
            return Optional.empty();
        }
        try {
            // The open file itself, not whatever the name points to by now: /proc/self/fd/N is the fd's file.
            Map<String, Object> attributes = Files.readAttributes(Path.of("/proc/self/fd/" + fd),
                    "unix:uid,isRegularFile");
            if (!(Boolean) attributes.get("isRegularFile") || (Integer) attributes.get("uid") != uid) {
                reporter.say(owner, status + " is not a regular file owned by uid " + uid
                        + ": the pid it names is not checked for a leftover process");
                return Optional.empty();
            }
            byte[] bytes = new byte[StatusFile.SIZE + 1];
            int length = 0;
            for (int n; length < bytes.length && (n = Fds.read(fd, bytes, length, bytes.length - length)) > 0; ) {
                length += n;
            }
            if (length != StatusFile.SIZE) return Optional.empty();
            SuperviseState state = StatusFile.decode(Arrays.copyOf(bytes, length));
            // While finish runs the pid is finish's and the stamp run's: it cannot be checked, and finish ends.
            if (state.state() != SuperviseState.RunState.RUN || state.pid() <= 0) return Optional.empty();
            return Optional.of(new Recorded(state.pid(), state.stamp()));
        } catch (IOException | IllegalArgumentException e) {
            reporter.say(owner, "cannot read " + status + ": " + e.getMessage());
            return Optional.empty();
        } finally {
            Fds.close(fd);
        }
    }

    /**
     * Whether the recorded process is still running, left by a previous Vigil: then it comes back with its pidfd,
     * to be {@link #stop stopped}. A pid that another process has now is left alone, and that is said.
     */
    Optional<Found> check(String owner, Recorded recorded, StopPolicy policy) {
        if (recorded.pid() <= 1 || recorded.pid() == selfPid) {
            report(owner, recorded, LeftoverCheck.judge(recorded, Optional.empty(), selfPid));
            return Optional.empty();
        }
        int pidfd;
        try {
            pidfd = Children.pidfdOpen(recorded.pid());
        } catch (OsException e) {
            if (e.errno() != Errno.ESRCH) {
                reporter.say(owner, "cannot check pid " + recorded.pid() + " recorded by a previous Vigil: "
                        + e.getMessage());
            }
            return Optional.empty();
        }
        boolean keep = false;
        try {
            Optional<ProcessFacts> facts = facts(recorded.pid());
            // Read after the pidfd was taken: if its process is still running, the pid was not reused in between,
            // and the facts are its own.
            if (facts.isPresent() && Children.awaitExit(pidfd, 0)) facts = Optional.empty();
            LeftoverCheck.Verdict verdict = LeftoverCheck.judge(recorded, facts, selfPid);
            if (verdict instanceof LeftoverCheck.Leftover) {
                keep = true;
                Duration killAfter = policy.timeoutKill().isZero() ? DEFAULT_KILL_AFTER : policy.timeoutKill();
                return Optional.of(new Found(owner, recorded.pid(), facts.orElseThrow().started(), pidfd,
                        policy.downSignal(), killAfter));
            }
            report(owner, recorded, verdict);
            return Optional.empty();
        } catch (OsException e) {
            reporter.say(owner, "cannot check pid " + recorded.pid() + " recorded by a previous Vigil: "
                    + e.getMessage());
            return Optional.empty();
        } finally {
            if (!keep) Fds.close(pidfd);
        }
    }

    private void report(String owner, Recorded recorded, LeftoverCheck.Verdict verdict) {
        switch (verdict) {
            case LeftoverCheck.Recycled r -> reporter.say(owner, "pid " + recorded.pid() + ", recorded by a "
                    + "previous Vigil (started " + recorded.started() + "), is another process now (started "
                    + r.started() + "); left alone");
            case LeftoverCheck.Never n -> reporter.say(owner, "pid " + recorded.pid() + ", recorded by a previous "
                    + "Vigil, is never signalled: " + n.why());
            case LeftoverCheck.Gone g -> {}
            case LeftoverCheck.Leftover l -> {}
        }
    }

    /** What {@code /proc/PID/stat} says; empty if there is no such process. */
    private Optional<ProcessFacts> facts(int pid) throws OsException {
        try {
            if (bootTime == null) bootTime = bootTime();
            return facts(pid, bootTime);
        } catch (IOException | RuntimeException e) {
            throw new OsException("read", "/proc/" + pid + "/stat", Errno.EIO);
        }
    }

    /** What {@code /proc/PID/stat} says, the start counted from {@code bootTime}; empty if there is no such process. */
    static Optional<ProcessFacts> facts(int pid, Instant bootTime) throws IOException {
        try {
            return Optional.of(parseStat(Files.readString(Path.of("/proc", Integer.toString(pid), "stat"),
                    StandardCharsets.ISO_8859_1), bootTime));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Field 4 (the parent) and field 22 (the start, in clock ticks since boot) of a {@code /proc/PID/stat} line.
     * The command name in field 2 may hold spaces and parentheses: the fields are counted after its last ')'.
     */
    static ProcessFacts parseStat(String stat, Instant bootTime) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        int parent = Integer.parseInt(fields[4 - 3]);
        long ticks = Long.parseLong(fields[22 - 3]);
        Instant started = bootTime.plusSeconds(ticks / CLOCK_TICKS_PER_SECOND)
                .plusNanos(ticks % CLOCK_TICKS_PER_SECOND * (1_000_000_000 / CLOCK_TICKS_PER_SECOND));
        return new ProcessFacts(started, parent);
    }

    /** When the machine booted by the wall clock: now less the time since, suspend included as start times count it. */
    static Instant bootTime() throws IOException {
        String uptime = Files.readString(Path.of("/proc/uptime"), StandardCharsets.ISO_8859_1);
        double seconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
        return Instant.now().minusNanos(Math.round(seconds * 1e9));
    }

    /**
     * Stops the leftovers of one service, one after another in the order given (a producer before its logger, so
     * the logger reads its last lines), each with its down signal and CONT, then KILL once its time is up. Runs
     * {@code whenGone} on the loop once every one is gone; never while one still runs.
     */
    void stop(String service, List<Found> found, Runnable whenGone) {
        stop(service, found, "before starting anew", whenGone);
    }

    /** As {@link #stop(String, List, Runnable)}, saying {@code then} ("before starting anew") of each. */
    void stop(String service, List<Found> found, String then, Runnable whenGone) {
        for (Found f : found) {
            reporter.say(f.owner(), "found pid " + f.pid() + " left by a previous Vigil (started " + f.started()
                    + "); stopping it " + then);
        }
        new Stopping(service, new ArrayDeque<>(found), whenGone).next();
    }

    /**
     * Transient services do not outlive their daemon: what a previous one left running of them is stopped, and not
     * started anew. Only where this daemon gets the {@code supervise/lock}: a live supervisor's service is no
     * leftover. The lock is held until the leftover is gone: an {@code add} of the name is refused till then.
     */
    void stopTransients(Path root) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                Path superviseDir = dir.resolve("supervise");
                if (!Files.isDirectory(superviseDir, LinkOption.NOFOLLOW_LINKS)) continue;
                String name = dir.getFileName().toString();
                int lock;
                try {
                    try (DirFd files = DirFd.open(superviseDir)) {
                        lock = files.openOwnFile("lock", Fds.O_WRONLY | Fds.O_APPEND, 0600);
                    }
                } catch (OsException e) {
                    reporter.say(name, "cannot check what a previous Vigil left of this transient service: "
                            + e.getMessage());
                    continue;
                }
                boolean held = false;
                try {
                    if (!FileSystem.flock(lock, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) continue;
                    Optional<Found> found = recordedIn(name, superviseDir)
                            .flatMap(recorded -> check(name, recorded, StopPolicy.DEFAULT));
                    if (found.isEmpty()) continue;
                    held = true;
                    stop(name, List.of(found.get()),
                            "(a transient service is not started again by a new Vigil)", () -> Fds.close(lock));
                } catch (OsException e) {
                    reporter.say(name, "cannot lock " + superviseDir.resolve("lock") + ": " + e.getMessage());
                } finally {
                    if (!held) Fds.close(lock);
                }
            }
        } catch (NoSuchFileException e) {
            // No transient service was ever added here.
        } catch (IOException e) {
            reporter.say("cannot read " + root + ": " + e.getMessage());
        }
    }

    /**
     * Stops what a previous Vigil left running of its units, as it wrote their pids down (even of units no longer
     * configured: what it ran, it no longer supervises), then runs {@code then}: the units start after.
     */
    void stopUnits(List<UnitPidFiles.RecordedUnit> records, Runnable then) {
        // Counted down once per unit with leftovers, and once for this loop: a stop may end at once.
        int[] left = {1};
        Runnable oneGone = () -> {
            if (--left[0] == 0) then.run();
        };
        for (UnitPidFiles.RecordedUnit recorded : records) {
            StopPolicy policy = new StopPolicy(recorded.signal(), recorded.killAfter(), Duration.ZERO);
            List<Found> found = new ArrayList<>();
            for (Recorded pid : recorded.pids()) check(recorded.unit(), pid, policy).ifPresent(found::add);
            if (found.isEmpty()) continue;
            left[0]++;
            stop(recorded.unit(), found, oneGone);
        }
        oneGone.run();
    }

    /** One service's leftovers being stopped, the first of {@code left} now. */
    private final class Stopping {
        private final String service;
        private final ArrayDeque<Found> left;
        private final Runnable whenGone;
        private EventLoop.Registration watch;
        private EventLoop.Timer timer;

        Stopping(String service, ArrayDeque<Found> left, Runnable whenGone) {
            this.service = service;
            this.left = left;
            this.whenGone = whenGone;
        }

        void next() {
            Found current = left.peek();
            if (current == null) {
                whenGone.run();
                return;
            }
            try {
                if (!signal(current, current.downSignal())) {
                    gone(current);
                    return;
                }
                signal(current, Signals.SIGCONT);
                watch = loop.watch(current.pidfd(), Epoll.EPOLLIN, events -> gone(current));
            } catch (OsException e) {
                // No fd for the watch (or a signal refused): fall back to looking again every second.
                reporter.say(current.owner(), "stopping pid " + current.pid() + ": " + e.getMessage());
                pollLater(current);
            }
            timer = loop.schedule(current.killAfter(), () -> kill(current));
        }

        private void pollLater(Found current) {
            loop.schedule(Duration.ofSeconds(1), () -> {
                if (left.peek() != current) return;
                try {
                    if (Children.awaitExit(current.pidfd(), 0)) gone(current);
                    else pollLater(current);
                } catch (OsException e) {
                    gone(current);
                }
            });
        }

        private void kill(Found current) {
            if (left.peek() != current) return;
            reporter.say(current.owner(), "pid " + current.pid() + " left by a previous Vigil did not stop within "
                    + seconds(current.killAfter()) + "; sending KILL");
            try {
                if (!signal(current, Signals.SIGKILL)) {
                    gone(current);
                    return;
                }
            } catch (OsException e) {
                reporter.say(current.owner(), "cannot KILL pid " + current.pid() + ": " + e.getMessage());
            }
            timer = loop.schedule(STUCK_AFTER_KILL, () -> {
                if (left.peek() == current) {
                    reporter.say(current.owner(), "pid " + current.pid() + " left by a previous Vigil is still "
                            + "there " + STUCK_AFTER_KILL.toSeconds() + "s after KILL (stuck in the kernel?); "
                            + service + " is not started until it is gone, so that it never runs twice");
                }
            });
        }

        private static String seconds(Duration d) {
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() / 1000.0 + "s";
        }

        private boolean signal(Found f, int signal) throws OsException {
            return Children.pidfdSendSignal(f.pidfd(), signal);
        }

        private void gone(Found current) {
            if (left.peek() != current) return;
            left.poll();
            if (watch != null) watch.cancel();
            if (timer != null) timer.cancel();
            watch = null;
            timer = null;
            Fds.close(current.pidfd());
            next();
        }
    }
}
