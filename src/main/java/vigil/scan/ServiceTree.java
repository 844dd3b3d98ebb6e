package vigil.scan;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import vigil.config.LoadResult;
import vigil.config.ServiceDirectory;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.service.Clock;
import vigil.unit.UnitName;

/**
 * runsvdir for one directory: every entry that is (or links to) a directory is a service, named after the entry.
 * Unlike runsvdir it polls nothing: inotify on the directory reports entries as they come, go or are renamed.
 * Identity is the target's (device, inode), so a rename keeps the service running, and a symlink pointed
 * elsewhere makes a new one. A directory whose {@code run} is not complete yet is watched too, and its service
 * starts the moment {@code run} is.
 */
public final class ServiceTree implements AutoCloseable {
    /** IN_CLOSE_WRITE for the unit files beside the service directories: an edited unit is read again. */
    private static final int ROOT_EVENTS = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM
            | Inotify.IN_MOVED_TO | Inotify.IN_ATTRIB | Inotify.IN_CLOSE_WRITE | Inotify.IN_DELETE_SELF
            | Inotify.IN_MOVE_SELF | Inotify.IN_ONLYDIR;
    /** Whatever can make an incomplete or invalid service directory good: files written, made executable. */
    private static final int SERVICE_DIR_EVENTS = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM
            | Inotify.IN_MOVED_TO | Inotify.IN_ATTRIB | Inotify.IN_CLOSE_WRITE | Inotify.IN_ONLYDIR;

    private static final int LOAD_BATCH = 64;
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(60);

    private final Path root;
    private final DirectoryWatcher watcher;
    private final ServiceHost host;
    private final Clock clock;
    private final Map<String, String> environment;
    private final BiConsumer<String, String> say;
    private final Map<String, Entry> byName = new HashMap<>();
    private final Map<Object, Entry> byIdentity = new HashMap<>();
    /** New entries waiting for their first load, oldest first. */
    private final ArrayDeque<Entry> toLoad = new ArrayDeque<>();
    private Clock.Timer nextBatch;
    private Runnable whenLoaded;
    private DirectoryWatcher.Watch rootWatch;

    /** One entry of the root: supervised, or waiting for its directory to become loadable. */
    private static final class Entry {
        String name;
        final Object identity;
        boolean supervised;
        List<DirectoryWatcher.Watch> waiting = List.of();
        String lastProblem;
        Duration retryDelay = FIRST_RETRY;
        Clock.Timer retry;

        Entry(String name, Object identity) {
            this.name = name;
            this.identity = identity;
        }
    }

    /**
     * @param say receives (service name, message) lines for the operator
     */
    public ServiceTree(Path root, DirectoryWatcher watcher, ServiceHost host, Clock clock,
                       Map<String, String> environment, BiConsumer<String, String> say) {
        this.root = root;
        this.watcher = watcher;
        this.host = host;
        this.clock = clock;
        this.environment = Map.copyOf(environment);
        this.say = say;
    }

    public Path root() {
        return root;
    }

    /**
     * Watches the root, then supervises every service already in it; {@code scanned} runs once every one of them
     * has been loaded (started, or found waiting). If the root cannot be watched, nothing is loaded and
     * {@code scanned} will not run.
     */
    public void start(Runnable scanned) throws IOException {
        rootWatch = watcher.watch(root, ROOT_EVENTS, this::rootChanged);
        whenLoaded = scanned;
        rescan();
    }

    /**
     * Looks at every entry again, as after an inotify overflow, and tries again each one not supervised: one
     * refused because its name was taken has nothing in its directory to change once the name is free.
     */
    public void rescan() {
        TreeSet<String> names = new TreeSet<>(byName.keySet());
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) names.add(entry.getFileName().toString());
        } catch (IOException e) {
            say.accept(root.toString(), "cannot list the directory: " + e.getMessage());
        }
        Set<Entry> queued = new HashSet<>(toLoad);
        for (Entry entry : byName.values()) {
            if (!entry.supervised && !queued.contains(entry)) {
                stopWaiting(entry);
                toLoad.add(entry);
            }
        }
        reconcile(names);
    }

    /**
     * The daemon no longer supervises anything of this name: the entry refused for it, if any, is tried again at
     * once.
     */
    public void nameFreed(String name) {
        Entry entry = byName.get(name);
        if (entry == null || entry.supervised || toLoad.contains(entry)) return;
        stopWaiting(entry);
        loadIsolated(entry);
    }

    /** The entries not supervised, each with what is wrong with it (a missing run, a bad down-signal...). */
    public Map<String, String> refused() {
        Map<String, String> out = new TreeMap<>();
        for (Entry entry : byName.values()) {
            if (!entry.supervised && entry.lastProblem != null) out.put(entry.name, entry.lastProblem);
        }
        return out;
    }

    /** Stops watching; the services themselves stay until the daemon stops them. */
    @Override
    public void close() {
        if (rootWatch != null) rootWatch.cancel();
        if (nextBatch != null) nextBatch.cancel();
        toLoad.clear();
        for (Entry entry : byName.values()) stopWaiting(entry);
    }

    private void rootChanged(List<Inotify.Event> events) {
        TreeSet<String> names = new TreeSet<>();
        for (Inotify.Event event : events) {
            if ((event.mask() & (Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) != 0) {
                say.accept(root.toString(), "the scanned directory was removed or moved; its services keep running");
                continue;
            }
            if ((event.mask() & Inotify.IN_Q_OVERFLOW) != 0) {
                rescan();
                return;
            }
            if (!event.name().isEmpty()) names.add(event.name());
        }
        if (names.stream().anyMatch(UnitName::isUnitEntry)) host.unitFilesChanged();
        reconcile(names);
    }

    /**
     * Brings these names up to date. A (device, inode) that left one name and arrived at another in the same
     * batch is a rename; one that left for good is a removal.
     */
    private void reconcile(Iterable<String> names) {
        Map<Object, Entry> departed = new HashMap<>();
        List<String> arrived = new ArrayList<>();
        Map<String, Object> identities = new HashMap<>();
        for (String name : names) {
            if (name.startsWith(".")) continue;
            Object identity = identity(root.resolve(name));
            Entry old = byName.get(name);
            if (old != null && Objects.equals(old.identity, identity)) continue;
            if (old != null) {
                byName.remove(name);
                departed.put(old.identity, old);
            }
            if (identity != null) {
                arrived.add(name);
                identities.put(name, identity);
            }
        }
        List<String> added = new ArrayList<>();
        Map<Entry, String> moves = new LinkedHashMap<>();
        for (String name : arrived) {
            Entry moved = departed.remove(identities.get(name));
            if (moved != null) moves.put(moved, name);
            else added.add(name);
        }
        // Removals before additions: a name whose symlink now points elsewhere stops its old service first, and
        // the new one starts as soon as the old one is gone.
        for (Entry gone : departed.values()) removed(gone);
        move(moves);
        for (String name : added) {
            Object identity = identities.get(name);
            Entry same = byIdentity.get(identity);
            if (same != null) {
                say.accept(name, "ignored: it is the same directory as " + same.name);
                continue;
            }
            Entry entry = new Entry(name, identity);
            byName.put(name, entry);
            byIdentity.put(identity, entry);
            toLoad.add(entry);
        }
        loadSome();
    }

    /**
     * Loads a batch of new entries, and leaves the rest for the next turn of the loop: a tree of thousands must
     * not hold the loop for seconds (control requests wait, and the pipes of the services just started, each
     * holding an fd until read, pile up).
     */
    private void loadSome() {
        for (int i = 0; i < LOAD_BATCH && !toLoad.isEmpty(); i++) loadIsolated(toLoad.poll());
        if (!toLoad.isEmpty()) {
            if (nextBatch == null) nextBatch = clock.schedule(Duration.ZERO, () -> {
                nextBatch = null;
                loadSome();
            });
            return;
        }
        Runnable done = whenLoaded;
        whenLoaded = null;
        if (done != null) done.run();
    }

    /** The target's (device, inode), following symlinks; null unless it is a directory. */
    private static Object identity(Path path) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isDirectory() ? attributes.fileKey() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Loads one entry so that a bug met while loading it (an unexpected exception) costs only that service: the
     * rest of the tree still loads, and the scan still completes.
     */
    private void loadIsolated(Entry entry) {
        try {
            load(entry);
        } catch (RuntimeException bug) {
            problem(entry, "cannot be supervised: internal error: " + bug);
            // No second look before a change: it would meet the same bug again.
            watchForChanges(entry, List.of(root.resolve(entry.name)));
        }
    }

    private void load(Entry entry) {
        if (byName.get(entry.name) != entry || entry.supervised) return;
        Path dir = root.resolve(entry.name);
        switch (ServiceDirectory.load(dir, entry.name, environment)) {
            case LoadResult.Loaded loaded -> {
                try {
                    host.add(loaded.spec());
                    entry.supervised = true;
                    entry.lastProblem = null;
                    entry.retryDelay = FIRST_RETRY;
                    stopWaiting(entry);
                } catch (ServiceHost.CannotSupervise e) {
                    if (e.retryable()) {
                        retryLater(entry, e.getMessage());
                    } else {
                        problem(entry, e.getMessage());
                        // No second look: the directory is fine, so it would only be refused again (and again).
                        watchForChanges(entry, List.of(dir));
                    }
                }
            }
            case LoadResult.Incomplete incomplete -> {
                problem(entry, "waiting: " + incomplete.reason());
                waitForChanges(entry, incomplete.watch());
            }
            case LoadResult.Unavailable unavailable -> retryLater(entry, unavailable.reason());
            case LoadResult.Invalid invalid -> {
                problem(entry, invalid.message());
                List<Path> dirs = Files.isDirectory(dir.resolve("log")) ? List.of(dir, dir.resolve("log"))
                        : List.of(dir);
                waitForChanges(entry, dirs);
            }
        }
    }

    /** Out of fds or memory for now: try again after a backoff that doubles up to a minute. */
    private void retryLater(Entry entry, String reason) {
        Duration delay = entry.retryDelay;
        entry.retryDelay = delay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay.multipliedBy(2);
        say.accept(entry.name, reason + "; retrying in " + delay.toSeconds() + "s");
        entry.retry = clock.schedule(delay, () -> {
            entry.retry = null;
            loadIsolated(entry);
        });
    }

    /** Says what is wrong, once per distinct problem, so a directory being written does not flood the log. */
    private void problem(Entry entry, String message) {
        if (message.equals(entry.lastProblem)) return;
        entry.lastProblem = message;
        say.accept(entry.name, message);
    }

    private void waitForChanges(Entry entry, List<Path> dirs) {
        // Something may have changed between the load and the watch: look once more so no change is missed.
        if (watchForChanges(entry, dirs)) reloadIfChanged(entry);
    }

    /** Loads the entry again whenever one of {@code dirs} changes; false if none of them could be watched. */
    private boolean watchForChanges(Entry entry, List<Path> dirs) {
        stopWaiting(entry);
        List<DirectoryWatcher.Watch> watches = new ArrayList<>();
        for (Path dir : dirs) {
            try {
                watches.add(watcher.watch(dir, SERVICE_DIR_EVENTS, events -> loadIsolated(entry)));
            } catch (OsException e) {
                problem(entry, "cannot watch " + dir + " for changes: " + e.getMessage());
            }
        }
        entry.waiting = watches;
        return !watches.isEmpty();
    }

    private void reloadIfChanged(Entry entry) {
        if (ServiceDirectory.load(root.resolve(entry.name), entry.name, environment)
                instanceof LoadResult.Loaded) {
            load(entry);
        }
    }

    private void stopWaiting(Entry entry) {
        for (DirectoryWatcher.Watch watch : entry.waiting) watch.cancel();
        entry.waiting = List.of();
        if (entry.retry != null) entry.retry.cancel();
        entry.retry = null;
    }

    private void removed(Entry entry) {
        byIdentity.remove(entry.identity, entry);
        stopWaiting(entry);
        if (entry.supervised) {
            say.accept(entry.name, "removed from " + root + "; stopping");
            host.remove(entry.name);
        }
    }

    /**
     * Renames entries in an order that frees each name before it is taken: after {@code mv foo foo.old; mv foo.new
     * foo}, read in one batch, foo must become foo.old before foo.new can become foo. A service that cannot keep
     * running under its new name (names swapped among themselves, or the new name held outside this tree) stops
     * under the old one and starts again under the new one, once that name is free.
     */
    private void move(Map<Entry, String> moves) {
        List<Entry> restarts = new ArrayList<>();
        for (boolean progress = true; progress; ) {
            progress = false;
            for (var it = moves.entrySet().iterator(); it.hasNext(); ) {
                var move = it.next();
                if (heldByAnotherMove(moves, move.getKey(), move.getValue())) continue;
                it.remove();
                progress = true;
                if (!renamed(move.getKey(), move.getValue())) restarts.add(move.getKey());
            }
        }
        for (var cycle : moves.entrySet()) {
            Entry entry = cycle.getKey();
            String oldName = entry.name;
            entry.name = cycle.getValue();
            byName.put(entry.name, entry);
            stopForRestart(entry, oldName, "its new name was another's, renamed at the same time");
            restarts.add(entry);
        }
        // Every stop first: in a swap, each name is free only once the service that held it has stopped.
        for (Entry entry : restarts) loadIsolated(entry);
    }

    private static boolean heldByAnotherMove(Map<Entry, String> moves, Entry entry, String newName) {
        for (Entry other : moves.keySet()) {
            if (other != entry && other.name.equals(newName)) return true;
        }
        return false;
    }

    private void stopForRestart(Entry entry, String oldName, String why) {
        if (!entry.supervised) return;
        say.accept(entry.name, "renamed from " + oldName + ", but " + why + ": restarting under the new name");
        host.remove(oldName);
        entry.supervised = false;
    }

    /** Returns false if the service must restart under its new name: the host refused the rename. */
    private boolean renamed(Entry entry, String newName) {
        String oldName = entry.name;
        entry.name = newName;
        byName.put(newName, entry);
        if (!entry.supervised) {
            entry.lastProblem = null;
            loadIsolated(entry);
            return true;
        }
        switch (ServiceDirectory.load(root.resolve(newName), newName, environment)) {
            case LoadResult.Loaded loaded -> {
                try {
                    host.rename(oldName, loaded.spec());
                    say.accept(newName, "renamed from " + oldName);
                } catch (ServiceHost.CannotSupervise taken) {
                    stopForRestart(entry, oldName, taken.getMessage());
                    return false;
                }
            }
            case LoadResult.Incomplete incomplete -> renamedToBroken(entry, oldName, "waiting: " + incomplete.reason());
            case LoadResult.Invalid invalid -> renamedToBroken(entry, oldName, invalid.message());
            case LoadResult.Unavailable unavailable -> renamedToBroken(entry, oldName, unavailable.reason());
        }
        return true;
    }

    private void renamedToBroken(Entry entry, String oldName, String problem) {
        host.remove(oldName);
        entry.supervised = false;
        problem(entry, problem);
        waitForChanges(entry, List.of(root.resolve(entry.name)));
    }
}
