package vigil.resources;

import java.util.ArrayList;
import java.util.List;
import vigil.model.ResourceLimits;

/**
 * The cgroup v1 files for a service's limits, for hosts whose controllers are still in v1 hierarchies: memory
 * (limit, soft limit, memory+swap), cpu (CFS quota and shares), cpuset, pids, blkio and devices. What v1 cannot say
 * ({@code MemoryHigh=}'s throttling) is warned about, never silently dropped.
 */
public final class V1Limits {
    /** v1 cpu.shares' default, which {@code CPUWeight=100} (v2's default) maps to. */
    private static final long SHARES_DEFAULT = 1024;
    /** The devices every closed policy allows, as systemd's {@code DevicePolicy=closed} does. */
    private static final List<String> CLOSED_DEVICES = List.of("c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
            "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rw");

    private V1Limits() {}

    public static LimitFile.Translation of(ResourceLimits limits, DeviceNumbers devices) {
        var files = new ArrayList<LimitFile>();
        var warnings = new ArrayList<LimitFile.Note>();
        limits.memoryMax().ifPresent(m -> files.add(new LimitFile("memory", "memory.limit_in_bytes", bytes(m))));
        // v1's soft limit is where reclaim pushes a group back to under contention: the protection of
        // MemoryLow= (or MemoryMin=, the harder protection, when there is no MemoryLow=).
        (limits.memoryLow().isPresent() ? limits.memoryLow() : limits.memoryMin()).ifPresent(m ->
                files.add(new LimitFile("memory", "memory.soft_limit_in_bytes", bytes(m))));
        if (limits.memoryHigh().isPresent()) {
            warnings.add(new LimitFile.Note("memory", "MemoryHigh=: cgroup v1 has no throttling limit; ignored"));
        }
        limits.memorySwapMax().ifPresent(swap -> {
            // memsw counts memory and swap together, and must not be below the memory limit.
            long max = limits.memoryMax().orElse(ResourceLimits.INFINITY);
            if (max == ResourceLimits.INFINITY) {
                if (swap != ResourceLimits.INFINITY) {
                    warnings.add(new LimitFile.Note("memory", "MemorySwapMax=: cgroup v1 limits memory and swap"
                            + " together, which needs MemoryMax=; ignored"));
                }
                return;
            }
            long memsw = swap == ResourceLimits.INFINITY || swap > Long.MAX_VALUE - max
                    ? ResourceLimits.INFINITY : max + swap;
            files.add(new LimitFile("memory", "memory.memsw.limit_in_bytes", bytes(memsw)));
        });
        if (limits.oomPolicy() == ResourceLimits.OomPolicy.KILL) {
            warnings.add(new LimitFile.Note("memory", "OOMPolicy=kill: cgroup v1 cannot kill a whole group at an OOM;"
                    + " Vigil kills the unit's cgroup once it sees the OOM kill"));
        }
        limits.cpuQuotaMicrosPerSecond().ifPresent(q -> {
            files.add(new LimitFile("cpu", "cpu.cfs_period_us", Long.toString(V2Limits.CPU_PERIOD_MICROS)));
            files.add(new LimitFile("cpu", "cpu.cfs_quota_us", Long.toString(V2Limits.cpuQuota(q))));
        });
        limits.cpuWeight().ifPresent(w -> files.add(new LimitFile("cpu", "cpu.shares",
                Long.toString(shares(w)))));
        limits.allowedCpus().ifPresent(c -> files.add(new LimitFile("cpuset", "cpuset.cpus", c)));
        limits.tasksMax().ifPresent(t -> files.add(new LimitFile("pids", "pids.max",
                t == ResourceLimits.INFINITY ? "max" : Long.toString(t))));
        // systemd's cgroup_weight_io_to_blkio(): the v2 default 100 is blkio's 500, within blkio's 10..1000.
        limits.ioWeight().ifPresent(w -> files.add(new LimitFile("blkio", "blkio.weight",
                Long.toString(Math.clamp(w * 500 / 100, 10, 1000)))));
        bandwidth(files, warnings, limits.ioReadBandwidthMax(), "blkio.throttle.read_bps_device",
                "IOReadBandwidthMax", devices);
        bandwidth(files, warnings, limits.ioWriteBandwidthMax(), "blkio.throttle.write_bps_device",
                "IOWriteBandwidthMax", devices);
        devices(files, warnings, limits, devices);
        return new LimitFile.Translation(files, warnings);
    }

    /** systemd's cgroup_cpu_weight_to_shares(), within v1's 2..262144; idle is the least share. */
    static long shares(long weight) {
        if (weight == ResourceLimits.IDLE_WEIGHT) return 2;
        return Math.clamp(weight * SHARES_DEFAULT / 100, 2, 262_144);
    }

    private static String bytes(long value) {
        return value == ResourceLimits.INFINITY ? "-1" : Long.toString(value);
    }

    private static void bandwidth(List<LimitFile> files, List<LimitFile.Note> warnings, List<ResourceLimits.Bandwidth> list,
                                  String file, String directive, DeviceNumbers devices) {
        for (ResourceLimits.Bandwidth b : list) {
            var device = devices.blockDevice(b.path());
            if (device.isEmpty()) {
                warnings.add(new LimitFile.Note("blkio", directive + "=" + b.path()
                        + ": no block device found for it; ignored"));
                continue;
            }
            // 0 lifts a v1 throttle.
            long rate = b.bytesPerSecond() == ResourceLimits.INFINITY ? 0 : b.bytesPerSecond();
            files.add(new LimitFile("blkio", file, device.get() + " " + rate));
        }
    }

    /**
     * systemd's device policies on the v1 devices controller: with {@code auto} and no rule, nothing is denied;
     * otherwise everything is, then {@code closed} (and {@code auto} with rules) allows the standard pseudo devices,
     * and each {@code DeviceAllow=} its device.
     */
    private static void devices(List<LimitFile> files, List<LimitFile.Note> warnings, ResourceLimits limits,
                                DeviceNumbers devices) {
        ResourceLimits.DevicePolicy policy = limits.devicePolicy();
        if (policy == ResourceLimits.DevicePolicy.AUTO && limits.deviceAllow().isEmpty()) return;
        files.add(new LimitFile("devices", "devices.deny", "a"));
        if (policy != ResourceLimits.DevicePolicy.STRICT) {
            for (String rule : CLOSED_DEVICES) files.add(new LimitFile("devices", "devices.allow", rule));
        }
        for (ResourceLimits.DeviceRule rule : limits.deviceAllow()) {
            var number = devices.deviceRule(rule.device());
            if (number.isEmpty()) {
                warnings.add(new LimitFile.Note("devices", "DeviceAllow=" + rule.device()
                        + ": no such device or device class; ignored"));
                continue;
            }
            files.add(new LimitFile("devices", "devices.allow", number.get() + " " + rule.access()));
        }
    }
}
