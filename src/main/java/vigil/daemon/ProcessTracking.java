package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import vigil.cgroup.Cgroups;
import vigil.service.ControlGroup;

/**
 * How the daemon tracks the processes of its services: in a cgroup per service ({@code web.service} for the unit
 * or the directory {@code web}, {@code web-log.service} for its logger), or, where there are no cgroups Vigil may
 * use, only through process groups and sessions.
 */
final class ProcessTracking {
    /** Process groups and sessions only. */
    static final ProcessTracking NONE = new ProcessTracking(Optional.empty(), line -> {});

    private final Optional<Cgroups> cgroups;
    private final Consumer<String> say;
    /** Services whose cgroup could not be made, told once each. */
    private final Set<String> saidCannotMake = new HashSet<>();

    ProcessTracking(Optional<Cgroups> cgroups, Consumer<String> say) {
        this.cgroups = cgroups;
        this.say = say;
    }

    Optional<Cgroups> cgroups() {
        return cgroups;
    }

    /** The cgroup of the service {@code name}, made if missing; empty without tracking or if it cannot be made. */
    Optional<ControlGroup> groupOf(String name) {
        return groupOf(name, Optional.empty());
    }

    /** As {@link #groupOf(String)}, in the sub-slice {@code slice} ({@code Slice=}) of the daemon's slice. */
    Optional<ControlGroup> groupOf(String name, Optional<String> slice) {
        if (cgroups.isEmpty()) return Optional.empty();
        String cgroup = cgroupName(name);
        try {
            ControlGroup group = cgroups.get().of(cgroup, slice);
            saidCannotMake.remove(cgroup);
            return Optional.of(group);
        } catch (IOException e) {
            if (saidCannotMake.add(cgroup)) {
                say.accept(name + ": cannot make its cgroup " + cgroup + " (" + e.getMessage()
                        + "); its processes are tracked by process group only");
            }
            return Optional.empty();
        }
    }

    /** The cgroup's directory name for a service: units keep theirs, directories get ".service", "/" becomes "-". */
    static String cgroupName(String service) {
        String flat = service.replace('/', '-');
        return flat.endsWith(".service") ? flat : flat + ".service";
    }

    /**
     * The status of the service's cgroup, if it has one: never made by asking, as status must change nothing.
     */
    Optional<java.util.Map<String, Object>> status(String name) {
        if (cgroups.isEmpty()) return Optional.empty();
        Path directory = cgroups.get().directoryOf(cgroupName(name));
        if (!Files.isDirectory(directory)) return Optional.empty();
        String path = "/" + cgroups.get().hierarchy().mount().relativize(directory);
        return Optional.of(vigil.cgroup.CgroupStatus.of(path, directory));
    }

    /** Where the service's cgroup is (or would be), for metrics read off the loop; empty without cgroups. */
    Optional<Path> directory(String name) {
        return cgroups.map(c -> c.directoryOf(cgroupName(name)));
    }

    /** Whether {@code pid} is in {@code group} now, from /proc/PID/cgroup. */
    boolean inGroup(int pid, ControlGroup group) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "cgroup"))) {
                if (line.startsWith("0::")) return line.substring(3).strip().equals(group.name());
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Says that an orphan of {@code service}'s cgroup (its cgroup's name) was reaped, and how it ended. */
    void orphanReaped(String service, int pid, vigil.os.ExitStatus status) {
        say.accept(service + ": reaped orphan pid " + pid + " of its cgroup (" + status.describe() + ")");
    }

    /** The cgroup (a service's) that {@code pid} is in, for the log's word on an orphan; empty if none of Vigil's. */
    Optional<String> serviceOf(int pid) {
        return cgroups.flatMap(c -> c.serviceOf(pid));
    }
}
