package vigil.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vigil.os.Children;
import vigil.os.OsException;
import vigil.os.Signals;
import vigil.service.ControlGroup;

/**
 * One service's cgroup v2 directory: its processes listed from {@code cgroup.procs}, signalled one by one or killed
 * at once through {@code cgroup.kill}, its emptiness read from {@code cgroup.events} (which {@link Cgroups} watches
 * with inotify), and the directory removed once it is empty and no longer needed.
 */
final class ServiceCgroup implements ControlGroup {
    /** Where cgroup.kill is missing (kernels before 5.14): rounds of SIGKILL to the listed pids, then give up. */
    private static final int KILL_ROUNDS = 16;

    private final Cgroups owner;
    private final Path directory;
    private final String name;
    private Runnable whenEmpty;
    private boolean released;
    /** The inotify watch on cgroup.events, or -1. */
    int watch = -1;

    ServiceCgroup(Cgroups owner, Path directory, String name) {
        this.owner = owner;
        this.directory = directory;
        this.name = name;
    }

    Path directory() {
        return directory;
    }

    @Override
    public List<Path> directories() {
        return List.of(directory);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Integer> pids() {
        return readPids(directory);
    }

    /** The pids in {@code cgroup.procs} of {@code directory}; empty if it is gone. */
    static List<Integer> readPids(Path directory) {
        List<Integer> pids = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(directory.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) pids.add(Integer.parseInt(line.strip()));
            }
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
        return pids;
    }

    @Override
    public boolean populated() {
        try {
            for (String line : Files.readAllLines(directory.resolve("cgroup.events"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("populated ")) return !line.endsWith(" 0");
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Override
    public int signalAll(int signal, List<Integer> except) {
        int sent = 0;
        for (int pid : pids()) {
            if (except.contains(pid)) continue;
            try {
                if (Children.sendSignal(pid, signal)) sent++;
            } catch (OsException e) {
                owner.say(name + ": cannot send " + Signals.name(signal) + " to pid " + pid + ": " + e.getMessage());
            }
        }
        return sent;
    }

    @Override
    public boolean killAll() {
        if (!populated()) return false;
        try {
            Files.writeString(directory.resolve("cgroup.kill"), "1");
            return true;
        } catch (NoSuchFileException e) {
            // No cgroup.kill: what forks between two rounds is caught by the next.
            for (int round = 0; round < KILL_ROUNDS && signalAll(Signals.SIGKILL, List.of()) > 0; round++) {
                Thread.onSpinWait();
            }
            return true;
        } catch (IOException e) {
            owner.say(name + ": cannot write cgroup.kill: " + e.getMessage());
            return signalAll(Signals.SIGKILL, List.of()) > 0;
        }
    }

    @Override
    public void onEmpty(Runnable whenEmpty) {
        this.whenEmpty = whenEmpty;
        owner.watchEvents(this);
        // An event may have come and gone before the watch: look once now, on the loop, not within this call.
        owner.recheckLater(this);
    }

    @Override
    public void release() {
        released = true;
        owner.watchEvents(this);
        owner.recheckLater(this);
    }

    /**
     * A new service of the same name takes the cgroup (a transient service removed and a directory that takes its
     * name): it is kept, not removed under the new service once the old one's processes are gone.
     */
    void reclaimed() {
        released = false;
    }

    /** cgroup.events changed (or may have): runs the waiter and removes a released directory once empty. */
    void eventsChanged() {
        if (populated()) return;
        Runnable waiter = whenEmpty;
        whenEmpty = null;
        if (waiter != null) waiter.run();
        if (released && whenEmpty == null && !populated()) owner.remove(this);
    }

    /** Removes the directory, deepest first (a service may have made cgroups of its own below it). */
    void removeDirectory() {
        try {
            removeTree(directory);
        } catch (IOException e) {
            owner.say(name + ": cannot remove its cgroup " + directory + ": " + e.getMessage());
        }
    }

    private static void removeTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path child : entries) removeTree(child);
        }
        // rmdir on a cgroup directory removes its interface files with it.
        Files.deleteIfExists(dir);
    }
}
