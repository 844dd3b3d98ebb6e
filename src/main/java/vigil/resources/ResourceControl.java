package vigil.resources;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import vigil.model.ResourceLimits;

/**
 * A service's limits applied to cgroups: the port through which the daemon, as it starts a service's processes,
 * makes the cgroups its limits need and learns which directories the new process joins. Tracking (the service's own
 * v2 cgroup, KillMode=, kills) is not its job; it adds the controllers' directories next to it.
 */
public interface ResourceControl {
    /**
     * Makes {@code service}'s cgroups for {@code limits} (each controller's, in v2 or v1 as this host has it) and
     * writes the limits into them. Called before each of the service's processes starts; cheap when the limits are
     * already in place.
     *
     * @param cgroupName the service's cgroup's own name: {@code foo.service}
     * @throws CgroupUnavailable naming the cgroup or file that could not be made or written, and why
     */
    Placement prepare(String cgroupName, ResourceLimits limits) throws CgroupUnavailable;

    /**
     * As {@link #prepare(String, ResourceLimits)}, for a service that runs as {@code owner}: with {@code Delegate=},
     * its v2 cgroup is handed to that user.
     */
    default Placement prepare(String cgroupName, ResourceLimits limits, Optional<vigil.model.Credentials> owner)
            throws CgroupUnavailable {
        return prepare(cgroupName, limits);
    }

    /**
     * Makes the cgroups of the {@code .slice} unit {@code slice} ({@code a-b.slice}) and writes its limits into
     * them; called before a service in it is {@link #prepare prepared}, which then joins what the slice limits.
     */
    default Placement prepareSlice(String slice, ResourceLimits limits) throws CgroupUnavailable {
        return Placement.NONE;
    }

    /**
     * What {@link #prepare} made.
     *
     * @param join     the directories a new process of the service joins (writes itself into cgroup.procs), v2 first
     * @param warnings what the host's cgroups could not do of the limits, to be said once per start
     */
    record Placement(List<Path> join, List<String> warnings) {
        public static final Placement NONE = new Placement(List.of(), List.of());

        public Placement {
            join = List.copyOf(join);
            warnings = List.copyOf(warnings);
        }
    }

    /** The service's use of its resources now, if it has cgroups of Vigil's making. */
    Optional<ResourceUsage> usage(String cgroupName);

    /** How many of the service's processes the OOM killer has killed since its cgroups were made; 0 without. */
    long oomKills(String cgroupName);

    /**
     * The file whose changes announce an OOM event in the service's memory cgroup, if it has one: v2's
     * {@code memory.events} (inotify sees the kernel's modification), or v1's {@code memory.oom_control} (an
     * eventfd registered through the {@code cgroup.event_control} beside it).
     */
    default Optional<OomEvents> oomEvents(String cgroupName) {
        return Optional.empty();
    }

    /** Where a service's OOM events are announced, and how ({@code v2}: inotify; else v1's eventfd). */
    record OomEvents(Path file, boolean v2) {}

    /**
     * Removes the service's cgroups once no process is left in them (rmdir), and the slices above them that are empty.
     * A cgroup still in use stays; the next {@link #prepare} takes it up again, or a later release removes it.
     *
     * @return whether nothing of the service's is left (false: processes remain in a cgroup, which stays)
     */
    boolean release(String cgroupName);

    /** A cgroup that could not be made or set up: read-only cgroupfs, no delegation, a value the kernel refused. */
    final class CgroupUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public CgroupUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** No cgroups: services run without limits (the daemon says once why). */
    ResourceControl NONE = new ResourceControl() {
        @Override
        public Placement prepare(String cgroupName, ResourceLimits limits) {
            return Placement.NONE;
        }

        @Override
        public Optional<ResourceUsage> usage(String cgroupName) {
            return Optional.empty();
        }

        @Override
        public long oomKills(String cgroupName) {
            return 0;
        }

        @Override
        public boolean release(String cgroupName) {
            return true;
        }
    };
}
