package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.daemon.LeftoverCheck.ProcessFacts;
import vigil.daemon.LeftoverCheck.Recorded;
import vigil.os.Children;
import vigil.os.FileSystem;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.ThreadPriority;
import vigil.service.UnitService;

/**
 * The pids of each unit's main and control processes, written down in {@code RUNTIME/units/NAME} so that a Vigil
 * started after this one died finds what it left running ({@link Leftovers}); units have no {@code supervise/}.
 *
 * <pre>
 * stop SIGNAL KILL_AFTER_SECONDS
 * main PID START_EPOCH_SECONDS START_NANOS
 * control PID START_EPOCH_SECONDS START_NANOS
 * </pre>
 *
 * The start is the process's own, from {@code /proc} (a main pid adopted through {@code PIDFile=} or
 * {@code MAINPID=} started before Vigil heard of it). The loop only notes which pids changed and when; a writer
 * thread of its own does the file work, as the {@code supervise/} writer does, so a unit's restart waits for no
 * disk. States that follow each other before the writer gets to them are written once. Each file is written to
 * a new name and renamed into place, in a directory of this daemon's user that no one else may enter (0700):
 * made so if missing, refused with a message otherwise.
 */
final class UnitPidFiles implements AutoCloseable {
    /**
     * How much later than the loop heard of it {@code /proc} may say a process started: its 10 ms ticks and the
     * boot time's 10 ms. A pid whose process started later is no longer the one the loop meant (it died, its pid
     * was reused before the writer looked) and is not written down.
     */
    private static final Duration SLACK = Duration.ofMillis(100);

    /** A pid as the loop saw it: {@code role} is "main" or "control". */
    private record Known(String role, int pid, Instant knownAt) {}

    /** What to write for a unit; no pids: remove its file. */
    private record Snapshot(int signal, Duration killAfter, List<Known> pids) {}

    /** What a previous Vigil wrote down of one unit. */
    record RecordedUnit(String unit, int signal, Duration killAfter, List<Recorded> pids) {}

    private final Path directory;
    private final Reporter reporter;
    private final int uid = Children.getuid();
    /** Loop thread only: the last snapshot handed over, by unit. */
    private final Map<String, Snapshot> last = new HashMap<>();
    /** Handed from the loop to the writer, under its own lock: the newest snapshot per unit. */
    private final Map<String, Snapshot> pending = new LinkedHashMap<>();
    private boolean closing;
    private final Thread writer;
    /** The flock on {@link #LOCK}, held until {@link #close}. */
    private final int lock;
    private static final String LOCK = ".lock";

    private UnitPidFiles(Path directory, Reporter reporter, int lock) {
        this.directory = directory;
        this.reporter = reporter;
        this.lock = lock;
        this.writer = Thread.ofPlatform().name("unit-pid-writer").daemon().start(this::writeAll);
    }

    /**
     * Opens {@code directory}, making it (0700) if missing; empty, with a message, if it is not a directory of
     * this user's that only this user may enter.
     */
    static Optional<UnitPidFiles> open(Path directory, Reporter reporter) {
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // Checked below.
        } catch (IOException e) {
            reporter.say("cannot make " + directory + ", so units' pids are not written down and a Vigil started "
                    + "after a crash cannot find them: " + e.getMessage());
            return Optional.empty();
        }
        try {
            Map<String, Object> a = Files.readAttributes(directory, "unix:uid,mode,isDirectory",
                    LinkOption.NOFOLLOW_LINKS);
            int uid = Children.getuid();
            if (!(Boolean) a.get("isDirectory") || (Integer) a.get("uid") != uid
                    || ((Integer) a.get("mode") & 0077) != 0) {
                reporter.say(directory + " is not a directory of uid " + uid + " closed to others (0700), so units' "
                        + "pids are not written down there and none recorded there are believed");
                return Optional.empty();
            }
        } catch (IOException e) {
            reporter.say("cannot read " + directory + ": " + e.getMessage());
            return Optional.empty();
        }
        // Held for the daemon's life: a second Vigil on the same runtime directory (its control socket taken, it
        // went on without one) must neither read this one's records as leftovers nor overwrite them.
        int lock;
        try {
            lock = Fds.open(directory.resolve(LOCK), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_NOFOLLOW, 0600);
            if (!FileSystem.flock(lock, FileSystem.LOCK_EX | FileSystem.LOCK_NB)) {
                Fds.close(lock);
                reporter.say(directory + " is kept by another running Vigil, so units' pids are not written down "
                        + "there and none recorded there are taken for leftovers");
                return Optional.empty();
            }
        } catch (OsException e) {
            reporter.say("cannot lock " + directory.resolve(LOCK) + ": " + e.getMessage());
            return Optional.empty();
        }
        return Optional.of(new UnitPidFiles(directory, reporter, lock));
    }

    /**
     * What a previous Vigil wrote down, every unit's; the files are removed once read (this daemon writes its
     * own). A file that is not this user's, or that cannot be parsed, is reported and skipped.
     */
    List<RecordedUnit> takeRecorded() {
        List<RecordedUnit> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".")) {
                    // A temporary file a write did not get to rename.
                    if (name.endsWith(".new")) Files.deleteIfExists(file);
                    continue;
                }
                try {
                    read(file).ifPresent(all::add);
                } catch (IOException | RuntimeException e) {
                    reporter.say(name, "cannot read " + file + " left by a previous Vigil: " + e.getMessage());
                }
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            reporter.say("cannot read " + directory + ": " + e.getMessage());
        }
        return all;
    }

    private Optional<RecordedUnit> read(Path file) throws IOException {
        String unit = file.getFileName().toString();
        int fd = Fds.open(file, Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK, 0);
        String text;
        try {
            // The open file, not whatever the name points to by now.
            Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:uid,isRegularFile");
            if (!(Boolean) a.get("isRegularFile") || (Integer) a.get("uid") != uid) {
                reporter.say(unit, file + " is not a regular file owned by uid " + uid + "; not believed");
                return Optional.empty();
            }
            byte[] bytes = new byte[4096];
            int length = 0;
            for (int n; length < bytes.length && (n = Fds.read(fd, bytes, length, bytes.length - length)) > 0; ) {
                length += n;
            }
            text = new String(bytes, 0, length, StandardCharsets.US_ASCII);
        } finally {
            Fds.close(fd);
        }
        int signal = 0;
        Duration killAfter = Duration.ZERO;
        List<Recorded> pids = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "stop" -> {
                    signal = Integer.parseInt(f[1]);
                    killAfter = Duration.ofSeconds(Long.parseLong(f[2]));
                }
                case "main", "control" -> pids.add(new Recorded(Integer.parseInt(f[1]),
                        Instant.ofEpochSecond(Long.parseLong(f[2]), Long.parseLong(f[3]))));
                default -> throw new IllegalArgumentException("unknown line: " + line);
            }
        }
        if (signal <= 0 || signal >= 65) throw new IllegalArgumentException("no valid stop line");
        return Optional.of(new RecordedUnit(unit, signal, killAfter, pids));
    }

    /** The unit's state changed (loop thread): if its pids did, they are written down soon. */
    void changed(UnitService unit) {
        int main = unit.mainPid(), control = unit.controlPid();
        Snapshot before = last.get(unit.name());
        if (before == null ? main == 0 && control == 0 : pid(before, "main") == main
                && pid(before, "control") == control) {
            return;
        }
        List<Known> pids = new ArrayList<>(2);
        Instant now = Instant.now();
        if (main != 0) pids.add(known(before, "main", main, now));
        if (control != 0) pids.add(known(before, "control", control, now));
        var spec = unit.spec();
        Duration killAfter = spec.kill().sendSigkill() ? spec.timeoutStop().orElse(Duration.ZERO) : Duration.ZERO;
        Snapshot snapshot = new Snapshot(spec.kill().signal(), killAfter, List.copyOf(pids));
        if (pids.isEmpty()) last.remove(unit.name());
        else last.put(unit.name(), snapshot);
        hand(unit.name(), snapshot);
    }

    /** The unit is gone (loop thread): so is its file. */
    void removed(UnitService unit) {
        if (last.remove(unit.name()) != null) hand(unit.name(), new Snapshot(0, Duration.ZERO, List.of()));
    }

    private static int pid(Snapshot s, String role) {
        for (Known k : s.pids()) if (k.role().equals(role)) return k.pid();
        return 0;
    }

    private static Known known(Snapshot before, String role, int pid, Instant now) {
        if (before != null) {
            for (Known k : before.pids()) if (k.role().equals(role) && k.pid() == pid) return k;
        }
        return new Known(role, pid, now);
    }

    private void hand(String unit, Snapshot snapshot) {
        synchronized (pending) {
            boolean wasEmpty = pending.isEmpty();
            pending.remove(unit);
            pending.put(unit, snapshot);
            if (wasEmpty) pending.notifyAll();
        }
    }

    /** Writes what is pending, then stops the writer. */
    @Override
    public void close() {
        synchronized (pending) {
            closing = true;
            pending.notifyAll();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Fds.close(lock);
    }

    // ---- the writer thread ----

    private void writeAll() {
        ThreadPriority.lowerCurrentThread(10);
        Instant bootTime = null;
        boolean failedBefore = false;
        while (true) {
            Map.Entry<String, Snapshot> next;
            synchronized (pending) {
                while (pending.isEmpty() && !closing) {
                    try {
                        pending.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (pending.isEmpty()) return;
                Iterator<Map.Entry<String, Snapshot>> first = pending.entrySet().iterator();
                next = first.next();
                first.remove();
            }
            try {
                if (bootTime == null) bootTime = Leftovers.bootTime();
                write(next.getKey(), next.getValue(), bootTime);
                failedBefore = false;
            } catch (IOException | RuntimeException e) {
                // Said once per run of failures: a full /run must not flood the log.
                if (!failedBefore) {
                    reporter.say(next.getKey(), "cannot write down its pids in " + directory + ": " + e);
                }
                failedBefore = true;
            }
        }
    }

    private void write(String unit, Snapshot snapshot, Instant bootTime) throws IOException {
        Path file = directory.resolve(unit);
        StringBuilder text = new StringBuilder();
        for (Known k : snapshot.pids()) {
            startOf(k, bootTime).ifPresent(started -> text.append(k.role()).append(' ').append(k.pid()).append(' ')
                    .append(started.getEpochSecond()).append(' ').append(started.getNano()).append('\n'));
        }
        if (text.isEmpty()) {
            Files.deleteIfExists(file);
            return;
        }
        text.insert(0, "stop " + snapshot.signal() + " " + snapshot.killAfter().toSeconds() + "\n");
        Path temporary = directory.resolve("." + unit + ".new");
        Files.deleteIfExists(temporary);
        // CREATE_NEW is O_EXCL, which follows no symlink; the rename replaces a link, never its target.
        Files.write(temporary, text.toString().getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * When the process the loop knew as {@code k.pid()} started, read through a pidfd taken first; empty if it has
     * exited, or if the process with that pid now started after the loop knew of it (not the same one).
     */
    private static Optional<Instant> startOf(Known k, Instant bootTime) throws IOException {
        int pidfd;
        try {
            pidfd = Children.pidfdOpen(k.pid());
        } catch (OsException e) {
            return Optional.empty();
        }
        try {
            Optional<ProcessFacts> facts = Leftovers.facts(k.pid(), bootTime);
            if (facts.isEmpty() || Children.awaitExit(pidfd, 0)) return Optional.empty();
            Instant started = facts.get().started();
            return started.isAfter(k.knownAt().plus(SLACK)) ? Optional.empty() : Optional.of(started);
        } finally {
            Fds.close(pidfd);
        }
    }
}
