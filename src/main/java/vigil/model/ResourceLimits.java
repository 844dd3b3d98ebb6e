package vigil.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A service's resource control (systemd.resource-control(5)), from a unit's directives or a service directory's
 * {@code resources} file: what its cgroup may use, and where its cgroup goes. Unset values leave the kernel's
 * default (no limit); {@link #INFINITY} is an explicit {@code infinity}. Percentages are already scaled to bytes or
 * tasks when the value was read.
 *
 * @param cpuQuotaMicrosPerSecond {@code CPUQuota=}: CPU time per second of wall time, in microseconds
 * @param cpuWeight       {@code CPUWeight=} 1..10000, or {@link #IDLE_WEIGHT} for {@code idle}
 * @param allowedCpus     {@code AllowedCPUs=}, as a cpuset list ({@code 0-3,6})
 * @param deviceAllow     {@code DeviceAllow=}, in order
 * @param delegate        {@code Delegate=}: the service may manage its own subtree
 * @param slice           {@code Slice=}: the {@code .slice} unit its cgroup is made under; empty for the default
 */
public record ResourceLimits(
        OptionalLong memoryMin,
        OptionalLong memoryLow,
        OptionalLong memoryHigh,
        OptionalLong memoryMax,
        OptionalLong memorySwapMax,
        OptionalLong cpuQuotaMicrosPerSecond,
        OptionalLong cpuWeight,
        Optional<String> allowedCpus,
        OptionalLong tasksMax,
        OptionalLong ioWeight,
        List<Bandwidth> ioReadBandwidthMax,
        List<Bandwidth> ioWriteBandwidthMax,
        List<DeviceRule> deviceAllow,
        DevicePolicy devicePolicy,
        boolean delegate,
        Optional<String> slice,
        OomPolicy oomPolicy) {

    /** An explicit {@code infinity}: no limit, written as such (so it overrides a slice's or a default). */
    public static final long INFINITY = Long.MAX_VALUE;
    /** {@code CPUWeight=idle}. */
    public static final long IDLE_WEIGHT = 0;

    public static final ResourceLimits NONE = new ResourceLimits(OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
            OptionalLong.empty(), Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of(),
            List.of(), DevicePolicy.AUTO, false, Optional.empty(), OomPolicy.STOP);

    /** {@code IOReadBandwidthMax=PATH BYTES}: PATH is a block device, or a file on the file system to limit. */
    public record Bandwidth(String path, long bytesPerSecond) {
        public Bandwidth {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * {@code DeviceAllow=}: a device node ({@code /dev/sda}) or a class ({@code char-pts}, {@code block-loop}).
     *
     * @param access a non-empty subset of {@code rwm}, in that order
     */
    public record DeviceRule(String device, String access) {
        public DeviceRule {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(access, "access");
        }
    }

    /** {@code DevicePolicy=}. */
    public enum DevicePolicy { AUTO, CLOSED, STRICT }

    /** {@code OOMPolicy=}: what an OOM kill inside the service does to it. */
    public enum OomPolicy { CONTINUE, STOP, KILL }

    public ResourceLimits {
        Objects.requireNonNull(allowedCpus, "allowedCpus");
        ioReadBandwidthMax = List.copyOf(ioReadBandwidthMax);
        ioWriteBandwidthMax = List.copyOf(ioWriteBandwidthMax);
        deviceAllow = List.copyOf(deviceAllow);
        Objects.requireNonNull(devicePolicy, "devicePolicy");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(oomPolicy, "oomPolicy");
    }

    /** Whether anything here needs a cgroup with controllers: a limit, a device rule or delegation. */
    public boolean limitsAnything() {
        return memoryMin.isPresent() || memoryLow.isPresent() || memoryHigh.isPresent() || memoryMax.isPresent()
                || memorySwapMax.isPresent() || cpuQuotaMicrosPerSecond.isPresent() || cpuWeight.isPresent()
                || allowedCpus.isPresent() || tasksMax.isPresent() || ioWeight.isPresent()
                || !ioReadBandwidthMax.isEmpty() || !ioWriteBandwidthMax.isEmpty() || !deviceAllow.isEmpty()
                || devicePolicy != DevicePolicy.AUTO || delegate || oomPolicy == OomPolicy.KILL;
    }
}
