package vigil.resources;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import vigil.model.ResourceLimits;

/**
 * The cgroup v2 files for a service's limits (the kernel's cgroup-v2.rst): memory.min/low/high/max/swap.max,
 * cpu.max, cpu.weight, cpuset.cpus, pids.max, io.weight, io.max, memory.oom.group. Device rules need a BPF program
 * on v2, which Vigil does not load: they are said to be ignored.
 */
public final class V2Limits {
    /** cpu.max's period, systemd's default {@code CPUQuotaPeriodSec=} of 100 ms. */
    static final long CPU_PERIOD_MICROS = 100_000;

    private V2Limits() {}

    public static LimitFile.Translation of(ResourceLimits limits, DeviceNumbers devices) {
        var files = new ArrayList<LimitFile>();
        var warnings = new ArrayList<LimitFile.Note>();
        memory(files, "memory.min", limits.memoryMin());
        memory(files, "memory.low", limits.memoryLow());
        memory(files, "memory.high", limits.memoryHigh());
        memory(files, "memory.max", limits.memoryMax());
        memory(files, "memory.swap.max", limits.memorySwapMax());
        if (limits.oomPolicy() == ResourceLimits.OomPolicy.KILL) {
            // The kernel kills the whole group at an OOM, as systemd's OOMPolicy=kill asks.
            files.add(new LimitFile("memory", "memory.oom.group", "1"));
        }
        limits.cpuQuotaMicrosPerSecond().ifPresent(q -> files.add(new LimitFile("cpu", "cpu.max",
                cpuQuota(q) + " " + CPU_PERIOD_MICROS)));
        limits.cpuWeight().ifPresent(w -> files.add(w == ResourceLimits.IDLE_WEIGHT
                ? new LimitFile("cpu", "cpu.idle", "1") : new LimitFile("cpu", "cpu.weight", Long.toString(w))));
        limits.allowedCpus().ifPresent(c -> files.add(new LimitFile("cpuset", "cpuset.cpus", c)));
        limits.tasksMax().ifPresent(t -> files.add(new LimitFile("pids", "pids.max", max(t))));
        limits.ioWeight().ifPresent(w -> files.add(new LimitFile("io", "io.weight", "default " + w)));
        bandwidth(files, warnings, limits.ioReadBandwidthMax(), "rbps", "IOReadBandwidthMax", devices);
        bandwidth(files, warnings, limits.ioWriteBandwidthMax(), "wbps", "IOWriteBandwidthMax", devices);
        if (!limits.deviceAllow().isEmpty() || limits.devicePolicy() != ResourceLimits.DevicePolicy.AUTO) {
            // Said only where no v1 devices controller does it instead.
            warnings.add(new LimitFile.Note("devices", "DeviceAllow=/DevicePolicy=: cgroup v2 needs a BPF device"
                    + " program, which Vigil does not load; ignored"));
        }
        return new LimitFile.Translation(files, warnings);
    }

    /** The quota for one period of {@link #CPU_PERIOD_MICROS}; the kernel's minimum is 1 ms. */
    static long cpuQuota(long microsPerSecond) {
        return Math.max(1000, microsPerSecond * CPU_PERIOD_MICROS / 1_000_000);
    }

    private static void memory(List<LimitFile> files, String file, OptionalLong bytes) {
        bytes.ifPresent(b -> files.add(new LimitFile("memory", file, max(b))));
    }

    private static String max(long value) {
        return value == ResourceLimits.INFINITY ? "max" : Long.toString(value);
    }

    private static void bandwidth(List<LimitFile> files, List<LimitFile.Note> warnings, List<ResourceLimits.Bandwidth> list,
                                  String key, String directive, DeviceNumbers devices) {
        for (ResourceLimits.Bandwidth b : list) {
            var device = devices.blockDevice(b.path());
            if (device.isEmpty()) {
                warnings.add(new LimitFile.Note("io", directive + "=" + b.path()
                        + ": no block device found for it; ignored"));
                continue;
            }
            files.add(new LimitFile("io", "io.max", device.get() + " " + key + "=" + max(b.bytesPerSecond())));
        }
    }
}
