package vigil.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.ResourceLimits;

/** The v2 and v1 translations, and the cgroups made from them in fake trees in a temp directory. */
class CgroupResourceControlTest {
    private static final ResourceSettings.Machine MACHINE = new ResourceSettings.Machine(8L << 30, 4_194_304);
    private static final DeviceNumbers DEVICES = new DeviceNumbers() {
        @Override
        public Optional<String> blockDevice(String path) {
            return path.equals("/dev/sda") ? Optional.of("8:0") : Optional.empty();
        }

        @Override
        public Optional<String> deviceRule(String device) {
            return device.equals("/dev/sda") ? Optional.of("b 8:0") : Optional.empty();
        }
    };

    @TempDir
    Path root;

    private static ResourceLimits read(String... assignments) throws BadResourceValue {
        var settings = new ResourceSettings(MACHINE);
        for (String a : assignments) {
            int eq = a.indexOf('=');
            settings.set(a.substring(0, eq), a.substring(eq + 1));
        }
        return settings.build();
    }

    private static final String[] EVERYTHING = {"MemoryMin=1M", "MemoryLow=2M", "MemoryHigh=40M", "MemoryMax=50M",
        "MemorySwapMax=0", "CPUQuota=20%", "CPUWeight=200", "AllowedCPUs=0-1", "TasksMax=16", "IOWeight=200",
        "IOReadBandwidthMax=/dev/sda 5M", "IOWriteBandwidthMax=/dev/sda infinity", "DeviceAllow=/dev/sda r",
        "DevicePolicy=strict", "OOMPolicy=kill"};

    @Test
    void v2FilesForEveryLimit() throws Exception {
        var t = V2Limits.of(read(EVERYTHING), DEVICES);
        assertEquals(List.of(
                new LimitFile("memory", "memory.min", "1048576"),
                new LimitFile("memory", "memory.low", "2097152"),
                new LimitFile("memory", "memory.high", "41943040"),
                new LimitFile("memory", "memory.max", "52428800"),
                new LimitFile("memory", "memory.swap.max", "0"),
                new LimitFile("memory", "memory.oom.group", "1"),
                new LimitFile("cpu", "cpu.max", "20000 100000"),
                new LimitFile("cpu", "cpu.weight", "200"),
                new LimitFile("cpuset", "cpuset.cpus", "0-1"),
                new LimitFile("pids", "pids.max", "16"),
                new LimitFile("io", "io.weight", "default 200"),
                new LimitFile("io", "io.max", "8:0 rbps=5000000"),
                new LimitFile("io", "io.max", "8:0 wbps=max")), t.files());
        assertEquals(1, t.warnings().size());
        assertTrue(t.warnings().getFirst().text().contains("BPF"));
        assertEquals(List.of(new LimitFile("memory", "memory.max", "max"), new LimitFile("cpu", "cpu.idle", "1"),
                new LimitFile("pids", "pids.max", "max")), V2Limits.of(read("MemoryMax=infinity", "TasksMax=infinity",
                "CPUWeight=idle"), DEVICES).files());
    }

    @Test
    void v1FilesForEveryLimit() throws Exception {
        var t = V1Limits.of(read(EVERYTHING), DEVICES);
        assertEquals(List.of(
                new LimitFile("memory", "memory.limit_in_bytes", "52428800"),
                new LimitFile("memory", "memory.soft_limit_in_bytes", "2097152"),
                new LimitFile("memory", "memory.memsw.limit_in_bytes", "52428800"),
                new LimitFile("cpu", "cpu.cfs_period_us", "100000"),
                new LimitFile("cpu", "cpu.cfs_quota_us", "20000"),
                new LimitFile("cpu", "cpu.shares", "2048"),
                new LimitFile("cpuset", "cpuset.cpus", "0-1"),
                new LimitFile("pids", "pids.max", "16"),
                new LimitFile("blkio", "blkio.weight", "1000"),
                new LimitFile("blkio", "blkio.throttle.read_bps_device", "8:0 5000000"),
                new LimitFile("blkio", "blkio.throttle.write_bps_device", "8:0 0"),
                new LimitFile("devices", "devices.deny", "a"),
                new LimitFile("devices", "devices.allow", "b 8:0 r")), t.files());
        assertEquals(List.of("MemoryHigh=: cgroup v1 has no throttling limit; ignored",
                "OOMPolicy=kill: cgroup v1 cannot kill a whole group at an OOM; Vigil kills the unit's cgroup once it sees the OOM kill"),
                t.warnings().stream().map(LimitFile.Note::text).toList());
        var closed = V1Limits.of(read("DevicePolicy=closed"), DEVICES).files();
        assertEquals(new LimitFile("devices", "devices.deny", "a"), closed.getFirst());
        assertTrue(closed.contains(new LimitFile("devices", "devices.allow", "c 1:3 rwm")), closed.toString());
        assertEquals(List.of(), V1Limits.of(read("DevicePolicy=auto"), DEVICES).files());
    }

    @Test
    void mountsAreFoundFromMountinfoAndOurCgroupOnAHybridHost() {
        String mountinfo = """
                30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                38 30 0:35 /outer /srv/my\\040pids rw,relatime - cgroup cgroup rw,pids
                40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """;
        String self = "8:pids:/outer/inner\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
        CgroupMounts m = CgroupMounts.parse(mountinfo, self);
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/unified")), m.unified());
        assertEquals(Map.of("cpu", Path.of("/sys/fs/cgroup/cpu"),
                "memory", Path.of("/sys/fs/cgroup/memory/process_api/abc"),
                "pids", Path.of("/srv/my pids/inner")), m.v1());
    }

    /** Where Vigil tracks services, their limits go in the tracking's cgroup: its slice, under its base. */
    @Test
    void aServiceWithoutSliceGoesInTheTrackingsSlice() throws Exception {
        Path base = Files.createDirectories(root.resolve("unified/base"));
        var mounts = new CgroupMounts(Optional.of(base), Set.of("memory"), Map.of());
        var control = new CgroupResourceControl(mounts, DEVICES, "vigil-7.slice");
        assertEquals(List.of(base.resolve("vigil-7.slice/web.service")),
                control.prepare("web.service", read("MemoryMax=50M")).join());
        assertEquals(List.of(base.resolve("vigil-7.slice/a.slice/db.service")),
                control.prepare("db.service", read("MemoryMax=50M", "Slice=a.slice")).join());
    }

    /** A pure v2 host: one tree, the controllers handed down level by level, the limits in the leaf. */
    @Test
    void v2TreeGetsTheLimitFilesAndIsRemovedWhenReleased() throws Exception {
        Path vigil = Files.createDirectories(root.resolve("unified/vigil"));
        var mounts = new CgroupMounts(Optional.of(vigil), Set.of("memory", "cpu", "pids", "io", "cpuset"), Map.of());
        var control = new CgroupResourceControl(mounts, DEVICES);
        var placement = control.prepare("web.service", read("MemoryMax=50M", "TasksMax=16", "CPUQuota=20%",
                "Slice=a-b.slice"));
        Path leaf = vigil.resolve("vigil.slice/a.slice/a-b.slice/web.service");
        assertEquals(List.of(leaf), placement.join());
        assertEquals("52428800", Files.readString(leaf.resolve("memory.max")));
        assertEquals("16", Files.readString(leaf.resolve("pids.max")));
        assertEquals("20000 100000", Files.readString(leaf.resolve("cpu.max")));
        assertEquals("+memory +cpu +pids", Files.readString(vigil.resolve("cgroup.subtree_control")));
        assertEquals("+memory +cpu +pids",
                Files.readString(vigil.resolve("vigil.slice/a.slice/a-b.slice/cgroup.subtree_control")));
        assertFalse(Files.exists(leaf.resolve("cgroup.subtree_control")));

        Files.writeString(leaf.resolve("memory.events"), "low 0\nhigh 3\nmax 9\noom 2\noom_kill 2\n");
        assertEquals(2, control.oomKills("web.service"));
        Files.writeString(leaf.resolve("memory.current"), "1234");
        Files.writeString(leaf.resolve("pids.current"), "3");
        var usage = control.usage("web.service").orElseThrow();
        assertEquals(1234, usage.memoryBytes().getAsLong());
        assertEquals(52428800, usage.memoryMax().getAsLong());
        assertEquals(16, usage.tasksMax().getAsLong());

        // A fake tree's directories hold files a real cgroup's would not; a real rmdir needs only the processes gone.
        try (var files = Files.list(leaf)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        control.release("web.service");
        assertFalse(Files.exists(leaf));
        assertEquals(Set.of(), control.directories());
    }

    /** This machine's layout: v2 with no controllers, each limit in its v1 controller's hierarchy. */
    @Test
    void hybridHostUsesTheV1Hierarchies() throws Exception {
        Map<String, Path> v1 = new java.util.HashMap<>();
        for (String c : List.of("memory", "cpu", "cpuacct", "pids")) {
            v1.put(c, Files.createDirectories(root.resolve(c + "/process_api/x")));
        }
        Path unified = Files.createDirectories(root.resolve("unified"));
        var control = new CgroupResourceControl(new CgroupMounts(Optional.of(unified), Set.of(), v1), DEVICES);
        var placement = control.prepare("db.service", read("MemoryMax=50M", "MemoryHigh=40M", "TasksMax=8",
                "CPUWeight=50", "IOWeight=10"));
        String leaf = "vigil.slice/db.service";
        assertEquals(List.of(v1.get("memory").resolve(leaf), v1.get("cpu").resolve(leaf),
                v1.get("pids").resolve(leaf), v1.get("cpuacct").resolve(leaf)), placement.join());
        assertEquals("52428800", Files.readString(v1.get("memory").resolve(leaf).resolve("memory.limit_in_bytes")));
        assertEquals("8", Files.readString(v1.get("pids").resolve(leaf).resolve("pids.max")));
        assertEquals("512", Files.readString(v1.get("cpu").resolve(leaf).resolve("cpu.shares")));
        assertEquals(List.of("MemoryHigh=: cgroup v1 has no throttling limit; ignored",
                "io.weight: no io controller on this host; not limited"), placement.warnings());
        assertFalse(Files.exists(unified.resolve("vigil.slice")));
    }

    /**
     * A .slice unit's limits on a hybrid host: in the v1 hierarchies at the slice's own level, and a service of the
     * slice, even one without limits of its own, joins each controller the slice limits, below it.
     */
    @Test
    void aSlicesLimitsGoInItsV1CgroupsAndItsServicesJoinBelow() throws Exception {
        Map<String, Path> v1 = new java.util.HashMap<>();
        for (String c : List.of("memory", "cpu", "pids")) {
            v1.put(c, Files.createDirectories(root.resolve(c + "/x")));
        }
        var control = new CgroupResourceControl(new CgroupMounts(Optional.of(root.resolve("unified")), Set.of(),
                v1), DEVICES, "vigil-7.slice");
        control.prepareSlice("test-web.slice", read("TasksMax=5", "CPUQuota=50%"));
        Path slice = v1.get("pids").resolve("vigil-7.slice/test.slice/test-web.slice");
        assertEquals("5", Files.readString(slice.resolve("pids.max")));
        assertEquals("50000", Files.readString(v1.get("cpu").resolve("vigil-7.slice/test.slice/test-web.slice")
                .resolve("cpu.cfs_quota_us")));
        var placement = control.prepare("web.service", read("Slice=test-web.slice"));
        assertTrue(placement.join().contains(slice.resolve("web.service")), placement.join().toString());
        assertTrue(placement.join().contains(v1.get("cpu").resolve("vigil-7.slice/test.slice/test-web.slice/"
                + "web.service")), placement.join().toString());
        assertFalse(Files.exists(v1.get("pids").resolve("vigil-7.slice/web.service")));
    }

    @Test
    void aCgroupThatCannotBeMadeNamesTheServiceAndWhy() throws Exception {
        Path readOnly = Files.createDirectories(root.resolve("ro"));
        Files.writeString(readOnly.resolve("vigil.slice"), "a file where the slice should be");
        var control = new CgroupResourceControl(new CgroupMounts(Optional.empty(), Set.of(),
                Map.of("memory", readOnly)), DEVICES);
        var e = assertThrows(ResourceControl.CgroupUnavailable.class,
                () -> control.prepare("web.service", read("MemoryMax=50M")));
        assertTrue(e.getMessage().startsWith("web.service: cannot make cgroup " + readOnly.resolve(
                "vigil.slice/web.service")), e.getMessage());
    }
}
