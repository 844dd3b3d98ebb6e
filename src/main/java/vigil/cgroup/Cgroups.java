package vigil.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import vigil.loop.EventLoop;
import vigil.os.Children;
import vigil.os.Epoll;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.resources.SlicePath;
import vigil.service.ControlGroup;

/**
 * The cgroups of Vigil's services: {@code vigil.slice/NAME.service} under the cgroup Vigil found itself in (the
 * root, as PID 1), one per service, made on first use and removed once empty after the service went away. Their
 * {@code cgroup.events} files are watched with one inotify instance on the event loop, so an emptied cgroup is
 * seen the moment it empties, without polling.
 *
 * <p>Several daemons may start in one cgroup (a root daemon and a user's test daemon in one session; the test
 * suite). Each must own its slice, or one would stop what another started ("leftovers" in a cgroup it thinks its
 * own). A daemon claims a slice by moving into its leaf, PID 1 too (as systemd's is in init.scope):
 * {@code vigil-daemon.scope} for {@code vigil.slice}, if no other process is in it, else
 * {@code vigil-daemon-PID.scope} for {@code vigil-PID.slice}. A re-exec'd daemon, in its leaf already, keeps the
 * slice that goes with it.
 */
public final class Cgroups implements AutoCloseable {
    /** The directory under Vigil's own cgroup where the services' cgroups go. */
    static final String SLICE = "vigil.slice";
    /**
     * Where Vigil moves itself: a cgroup with processes in it cannot give its children
     * controllers (cgroup v2's "no internal processes" rule), so Vigil leaves it for a leaf, as systemd does with
     * init.scope; and being in it is how a daemon claims {@link #SLICE}.
     */
    static final String OWN_LEAF = "vigil-daemon.scope";
    /** The leaf of a daemon that found {@link #OWN_LEAF} taken: {@code vigil-daemon-PID.scope}. */
    private static final Pattern LEAF = Pattern.compile("vigil-daemon(-\\d+)?\\.scope");

    private final Hierarchy hierarchy;
    private final Path slice;
    private final EventLoop loop;
    private final Consumer<String> say;
    private final Inotify inotify;
    private final EventLoop.Registration registration;
    private final Map<String, ServiceCgroup> byName = new HashMap<>();
    private final Map<Integer, ServiceCgroup> byWatch = new HashMap<>();

    private Cgroups(Hierarchy hierarchy, Path slice, EventLoop loop, Consumer<String> say, Inotify inotify)
            throws OsException {
        this.hierarchy = hierarchy;
        this.slice = slice;
        this.loop = loop;
        this.say = say;
        this.inotify = inotify;
        this.registration = loop.watch(inotify.fd(), Epoll.EPOLLIN, events -> dispatch());
    }

    /** How a daemon tracks its services' processes. */
    public sealed interface Setup {
        /** In cgroups. */
        record Tracked(Cgroups cgroups) implements Setup {}

        /** Through process groups and sessions only, for the reason given. */
        record Untracked(String why) implements Setup {}
    }

    /**
     * Finds the v2 hierarchy and sets up {@code vigil.slice} under Vigil's own cgroup; {@link Setup.Untracked} with
     * the reason if there is none Vigil may use (not mounted, not delegated to a non-root Vigil, read-only).
     */
    public static Setup setUp(EventLoop loop, Consumer<String> say) {
        Optional<Hierarchy> found = Hierarchy.find();
        if (found.isEmpty()) return new Setup.Untracked("no cgroup v2 hierarchy is mounted");
        Hierarchy hierarchy = found.get();
        Path own = hierarchy.own();
        // After a daemon-reexec Vigil is in its leaf already: the services' cgroups are beside it.
        Matcher inLeaf = own.getFileName() == null ? null : LEAF.matcher(own.getFileName().toString());
        boolean reexeced = inLeaf != null && inLeaf.matches();
        Path base = reexeced ? own.getParent() : own;
        if (!Files.isWritable(base) || !Files.isWritable(base.resolve("cgroup.procs"))) {
            return new Setup.Untracked("cgroup " + base + " is not writable by uid " + Children.getuid()
                    + " (not delegated to it, or read-only)");
        }
        // What daemons that are gone left behind (their leaves, their empty slices) would pile up otherwise.
        int self = Children.getpid();
        StaleCgroups.remove(base, pid -> pid == self || StaleCgroups.exists(pid));
        String sliceName;
        if (reexeced) {
            sliceName = inLeaf.group(1) == null ? SLICE : "vigil" + inLeaf.group(1) + ".slice";
        } else {
            Optional<String> claimed = claim(base, say);
            if (claimed.isEmpty()) return new Setup.Untracked("cannot move Vigil into a leaf cgroup under " + base);
            sliceName = claimed.get();
        }
        Path slice = base.resolve(sliceName);
        try {
            Files.createDirectories(slice);
        } catch (IOException e) {
            return new Setup.Untracked("cannot make " + slice + ": " + e.getMessage());
        }
        try {
            return new Setup.Tracked(new Cgroups(hierarchy, slice, loop, say, Inotify.create()));
        } catch (OsException e) {
            return new Setup.Untracked("cannot watch cgroups: " + e.getMessage());
        }
    }

    /**
     * Moves Vigil into {@link #OWN_LEAF} under {@code base} and returns {@link #SLICE}, if no other process is in
     * that leaf once Vigil is; else into a leaf and slice named for its pid. Two daemons that race both see the
     * other and both take their own. Empty if Vigil cannot move at all.
     */
    private static Optional<String> claim(Path base, Consumer<String> say) {
        String pid = Integer.toString(Children.getpid());
        Path shared = base.resolve(OWN_LEAF);
        try {
            Files.createDirectories(shared);
            if (processesIn(shared).isEmpty()) {
                Files.writeString(shared.resolve("cgroup.procs"), pid);
                if (processesIn(shared).equals(List.of(pid))) return Optional.of(SLICE);
            }
            Path mine = base.resolve("vigil-daemon-" + pid + ".scope");
            Files.createDirectories(mine);
            Files.writeString(mine.resolve("cgroup.procs"), pid);
            say.accept("another Vigil daemon owns " + base.resolve(SLICE) + ": this one's services go in "
                    + base.resolve("vigil-" + pid + ".slice"));
            return Optional.of("vigil-" + pid + ".slice");
        } catch (IOException e) {
            say.accept("cannot move Vigil into a leaf cgroup under " + base + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static List<String> processesIn(Path cgroup) throws IOException {
        return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream().map(String::strip)
                .filter(line -> !line.isEmpty()).toList();
    }

    /** The v2 hierarchy. */
    public Hierarchy hierarchy() {
        return hierarchy;
    }

    /** Where the services' cgroups are. */
    public Path slice() {
        return slice;
    }

    /**
     * The cgroup of the service {@code name} ({@code web.service}, {@code web-log.service}) in the daemon's slice,
     * made if missing.
     *
     * @throws IOException if it cannot be made
     */
    public ControlGroup of(String name) throws IOException {
        return of(name, Optional.empty());
    }

    /**
     * As {@link #of(String)}, in the sub-slice of the daemon's slice that {@code Slice=} names ({@code a-b.slice}:
     * {@code vigil.slice/a.slice/a-b.slice/NAME.service}), made with it.
     */
    public ControlGroup of(String name, Optional<String> sliceUnit) throws IOException {
        Path directory = slice.getParent().resolve(SlicePath.service(name, sliceUnit,
                slice.getFileName().toString()));
        ServiceCgroup known = byName.get(name);
        if (known != null && known.directory().equals(directory) && Files.isDirectory(directory)) {
            known.reclaimed();
            return known;
        }
        Files.createDirectories(directory);
        ServiceCgroup made = new ServiceCgroup(this, directory, "/" + hierarchy.mount().relativize(directory));
        byName.put(name, made);
        return made;
    }

    /** Where the service {@code name}'s cgroup is: where it was made, else where it would be without a slice. */
    public Path directoryOf(String name) {
        ServiceCgroup known = byName.get(name);
        return known != null ? known.directory() : slice.resolve(name);
    }

    /**
     * The service whose cgroup {@code pid} is in, from /proc/PID/cgroup; empty if none of Vigil's. Its cgroup is
     * the first level below the daemon's slice that is no sub-slice ({@code Slice=}); anything deeper is a cgroup
     * of the service's own making ({@code Delegate=}).
     */
    public Optional<String> serviceOf(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "cgroup"))) {
                if (!line.startsWith("0::")) continue;
                return serviceIn(slice, hierarchy.mount().resolve(line.substring(3).strip().replaceFirst("^/", "")));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The service cgroup of {@link #serviceOf} for a process in the cgroup {@code in}, below {@code slice}. */
    static Optional<String> serviceIn(Path slice, Path in) {
        if (!in.startsWith(slice) || in.equals(slice)) return Optional.empty();
        for (Path level : slice.relativize(in)) {
            if (!level.toString().endsWith(".slice")) return Optional.of(level.toString());
        }
        return Optional.empty(); // in a sub-slice itself: no service's
    }

        void say(String line) {
        say.accept(line);
    }

    void watchEvents(ServiceCgroup group) {
        if (group.watch >= 0) return;
        try {
            group.watch = inotify.addWatch(group.directory().resolve("cgroup.events"), Inotify.IN_MODIFY);
            byWatch.put(group.watch, group);
        } catch (OsException e) {
            say(group.name() + ": cannot watch cgroup.events: " + e.getMessage());
        }
    }

    void recheckLater(ServiceCgroup group) {
        loop.execute(group::eventsChanged);
    }

    void remove(ServiceCgroup group) {
        if (group.watch >= 0) {
            byWatch.remove(group.watch);
            try {
                inotify.removeWatch(group.watch);
            } catch (OsException e) {
                // Dropped by the kernel already.
            }
            group.watch = -1;
        }
        byName.remove(group.name().substring(group.name().lastIndexOf('/') + 1), group);
        group.removeDirectory();
        // The sub-slices it was in, once empty: a slice of no running service is not kept, as systemd's are not.
        for (Path p = group.directory().getParent(); p != null && !p.equals(slice) && p.startsWith(slice);
                p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                break; // another service's cgroup is still in it
            }
        }
    }

    private void dispatch() throws OsException {
        List<Inotify.Event> events = inotify.readEvents();
        boolean overflow = events.stream().anyMatch(e -> e.is(Inotify.IN_Q_OVERFLOW));
        if (overflow) {
            List.copyOf(byWatch.values()).forEach(ServiceCgroup::eventsChanged);
            return;
        }
        for (Inotify.Event event : events) {
            ServiceCgroup group = byWatch.get(event.wd());
            if (group != null && event.is(Inotify.IN_MODIFY)) group.eventsChanged();
            if (event.is(Inotify.IN_IGNORED)) byWatch.remove(event.wd());
        }
    }

    /** Stops watching; the services' cgroups that are empty go, and the slice too if nothing is left in it. */
    @Override
    public void close() {
        registration.cancel();
        inotify.close();
        for (ServiceCgroup group : List.copyOf(byName.values())) {
            if (!group.populated()) group.removeDirectory();
        }
        // With the sub-slices that are empty; what is not (a service's processes outlived the daemon) stays.
        StaleCgroups.removeEmpty(slice);
    }
}
