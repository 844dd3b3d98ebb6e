package vigil.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vigil.model.ResourceLimits;
import vigil.os.Errno;
import vigil.resources.CgroupMounts;
import vigil.resources.CgroupResourceControl;
import vigil.resources.LinuxDeviceNumbers;
import vigil.resources.ResourceControl;
import vigil.resources.ResourceUsage;
import vigil.resources.SlicePath;
import vigil.service.SpawnException;

/**
 * The services' resource control for the daemon, units and service directories alike: their limits made into
 * cgroups ({@link ResourceControl}) before their processes start, what the host's cgroups cannot do said once per
 * service, and an OOM kill counted for a unit's result. A service without limits costs nothing here.
 */
final class ServiceResources {
    private final ResourceControl control;
    private final Reporter reporter;
    /** What was last said of each unit's limits, so a restart does not say it again. */
    private final Map<String, List<String>> said = new HashMap<>();
    /** Units down whose cgroups still hold processes. */
    private final Set<String> releasing = new HashSet<>();
    /** The running services' memory cgroups watched for OOM kills; none until {@link #watchOomKills}. */
    private OomWatch oomWatch;
    /** The limits of the {@code .slice} units loaded, by name; none until {@link #slicesFrom}. */
    private java.util.function.Function<String, java.util.Optional<ResourceLimits>> sliceUnits =
            slice -> java.util.Optional.empty();

    ServiceResources(ResourceControl control, Reporter reporter) {
        this.control = control;
        this.reporter = reporter;
    }

    /** On this host's cgroups; without usable ones, none (and says so once). */
    static ServiceResources discover(Reporter reporter, java.util.Optional<vigil.cgroup.Cgroups> tracking) {
        try {
            CgroupMounts mounts = CgroupMounts.current();
            if (mounts.unified().isEmpty() && mounts.v1().isEmpty()) {
                reporter.say("no cgroup hierarchy is mounted: resource limits (MemoryMax=...) are not applied");
                return new ServiceResources(ResourceControl.NONE, reporter);
            }
            if (tracking.isPresent()) {
                // One cgroup per service in v2: its limits go in the cgroup that tracks it, under the base Vigil
                // found itself in (this process is in its leaf by now) and in the tracking's slice.
                Path base = tracking.get().slice().getParent();
                mounts = new CgroupMounts(java.util.Optional.of(base), CgroupMounts.controllersOf(base), mounts.v1());
                return new ServiceResources(new CgroupResourceControl(mounts, new LinuxDeviceNumbers(),
                        tracking.get().slice().getFileName().toString()), reporter);
            }
            return new ServiceResources(new CgroupResourceControl(mounts, new LinuxDeviceNumbers()), reporter);
        } catch (IOException e) {
            reporter.say("cannot read this process's cgroups (" + e.getMessage()
                    + "): resource limits (MemoryMax=...) are not applied");
            return new ServiceResources(ResourceControl.NONE, reporter);
        }
    }

    /** The directories a process of the service {@code name} joins; none for a service without limits. */
    List<Path> prepare(String name, ResourceLimits limits) throws SpawnException {
        return prepare(name, limits, java.util.Optional.empty());
    }

    /** As {@link #prepare(String, ResourceLimits)}; with {@code Delegate=}, the cgroup goes to {@code owner}. */
    List<Path> prepare(String name, ResourceLimits limits, java.util.Optional<vigil.model.Credentials> owner)
            throws SpawnException {
        // The slices it is in whose unit files limit something: theirs go in their cgroups first.
        List<String> limitedSlices = SlicePath.chain(limits.slice()).stream()
                .filter(s -> sliceUnits.apply(s).filter(ResourceLimits::limitsAnything).isPresent()).toList();
        if (!limits.limitsAnything() && limitedSlices.isEmpty()) return List.of();
        releasing.remove(cgroupName(name)); // in use again
        try {
            for (String slice : limitedSlices) {
                ResourceControl.Placement made = control.prepareSlice(slice, sliceUnits.apply(slice).orElseThrow());
                if (!made.warnings().equals(said.get(slice))) {
                    said.put(slice, made.warnings());
                    for (String w : made.warnings()) reporter.say(slice + ": " + w);
                }
            }
            ResourceControl.Placement placement = control.prepare(cgroupName(name), limits, owner);
            if (!placement.warnings().equals(said.get(name))) {
                said.put(name, placement.warnings());
                for (String w : placement.warnings()) reporter.say(name + ": " + w);
            }
            if (oomWatch != null) {
                String cgroup = cgroupName(name);
                oomWatch.watch(name, control.oomEvents(cgroup), () -> control.oomKills(cgroup));
            }
            return placement.join();
        } catch (ResourceControl.CgroupUnavailable e) {
            // As systemd: a unit whose cgroup cannot be made does not start; the others go on.
            throw new SpawnException("cannot set up its resource control: " + e.getMessage(), Errno.EPERM);
        }
    }

    /** Where the limits of {@code .slice} units come from: the unit files loaded now. */
    void slicesFrom(java.util.function.Function<String, java.util.Optional<ResourceLimits>> sliceUnits) {
        this.sliceUnits = sliceUnits;
    }

    /** From now on, an OOM kill in a running service's memory cgroup goes to {@code listener} as it happens. */
    void watchOomKills(vigil.loop.EventLoop loop, OomWatch.Listener listener) {
        oomWatch = new OomWatch(loop, reporter, listener);
    }

    long oomKills(String unit) {
        return control.oomKills(cgroupName(unit));
    }

    java.util.Optional<ResourceUsage> usage(String name) {
        return control.usage(cgroupName(name));
    }

    /**
     * A service's cgroup's own name, the tracking's: a unit's is its name ({@code web.service}); a service
     * directory's gets the suffix too, and a logger's {@code web/log} is {@code web-log.service}.
     */
    static String cgroupName(String service) {
        return ProcessTracking.cgroupName(service);
    }

    /** Removes the unit's cgroups, or, while processes are left in them, at a later {@link #retryReleases}. */
    void release(String name) {
        if (oomWatch != null) oomWatch.unwatch(name);
        if (!control.release(cgroupName(name))) releasing.add(cgroupName(name));
        else releasing.remove(cgroupName(name));
    }

    /**
     * Some processes ended (Vigil, as subreaper, reaped them): the cgroups they kept from going may go now. Only
     * v2 says when a cgroup empties; v1 does not, and a service's last leftovers end up reaped by Vigil either way.
     */
    void retryReleases() {
        if (releasing.isEmpty()) return;
        releasing.removeIf(control::release);
    }
}
