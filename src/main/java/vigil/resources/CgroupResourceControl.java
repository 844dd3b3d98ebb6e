package vigil.resources;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import vigil.model.Credentials;
import vigil.model.ResourceLimits;

/**
 * {@link ResourceControl} on this host's cgroups, v2 where the v2 tree offers a controller and v1 where the
 * controller is still in a v1 hierarchy (a hybrid host). Each service with limits gets, in every hierarchy it needs,
 * {@code SLICE/NAME.service} below Vigil's own cgroup; the accounting controllers (memory, pids, cpuacct) come along
 * so that {@code vigil status} can say what it uses.
 *
 * <p>As systemd does, a cgroup that cannot be made fails the start ({@link CgroupUnavailable}), while a limit the
 * kernel refuses is said and the rest applied. Runs on the loop: the work is a few mkdirs and writes per start of
 * a service that has limits, none for one without (its placement is remembered until its cgroups go).
 */
public final class CgroupResourceControl implements ResourceControl {
    /** Accounting for status: v2 accounts CPU in every cgroup, v1 needs cpuacct. */
    private static final List<String> ACCOUNTING = List.of("memory", "pids", "cpuacct");

    private final CgroupMounts mounts;
    private final DeviceNumbers devices;
    /** The cgroups made per service, until released. */
    private final Map<String, Made> made = new HashMap<>();

    /**
     * What was made for one service or slice: its directories (v2 first), the limits written into them, and the
     * controllers it joins for its slices' limits.
     */
    private record Made(ResourceLimits limits, String relative, Map<String, Path> byController,
                        Placement placement, Set<String> forSlices) {}

    /** Where services without {@code Slice=} go: the tracking's slice, so that a service has one v2 cgroup. */
    private final String defaultSlice;

    public CgroupResourceControl(CgroupMounts mounts, DeviceNumbers devices) {
        this(mounts, devices, SlicePath.DEFAULT_SLICE);
    }

    /**
     * @param mounts       with, where Vigil tracks services in cgroups, its v2 base: the cgroup it found itself in,
     *                     not the leaf it then moved into (which holds a process, so can hand down no controller)
     * @param defaultSlice the tracking's slice, {@code vigil.slice} or {@code vigil-PID.slice}
     */
    public CgroupResourceControl(CgroupMounts mounts, DeviceNumbers devices, String defaultSlice) {
        this.mounts = mounts;
        this.devices = devices;
        this.defaultSlice = defaultSlice;
    }

    @Override
    public Placement prepare(String cgroupName, ResourceLimits limits) throws CgroupUnavailable {
        return prepare(cgroupName, limits, Optional.empty());
    }

    @Override
    public Placement prepare(String cgroupName, ResourceLimits limits, Optional<Credentials> owner)
            throws CgroupUnavailable {
        // A process is held by the limits of a v1 cgroup above it only if it is in that controller's hierarchy
        // below it: a service joins every controller its slices limit.
        var forSlices = new LinkedHashSet<String>();
        for (String slice : SlicePath.chain(limits.slice())) {
            Made m = made.get(slice);
            if (m != null) forSlices.addAll(m.byController.keySet());
        }
        return place(cgroupName, SlicePath.service(cgroupName, limits.slice(), defaultSlice), limits, owner,
                forSlices);
    }

    /**
     * A {@code .slice} unit's limits, written into its cgroups ({@code vigil.slice/a.slice/a-b.slice} in v2 and in
     * each v1 controller's hierarchy) before a service of the slice is {@link #prepare prepared}.
     */
    @Override
    public Placement prepareSlice(String slice, ResourceLimits limits) throws CgroupUnavailable {
        return place(slice, SlicePath.slice(Optional.of(slice), defaultSlice), limits, Optional.empty(), Set.of());
    }

    private Placement place(String cgroupName, String relative, ResourceLimits limits, Optional<Credentials> owner,
                            Set<String> forSlices) throws CgroupUnavailable {
        Made existing = made.get(cgroupName);
        if (existing != null && existing.limits.equals(limits) && existing.forSlices.equals(forSlices)
                && existing.relative.equals(relative)
                && existing.placement.join().stream().allMatch(Files::isDirectory)) {
            return existing.placement;
        }
        if (existing != null && !existing.relative.equals(relative)) release(cgroupName);
        LimitFile.Translation v2 = V2Limits.of(limits, devices);
        LimitFile.Translation v1 = V1Limits.of(limits, devices);
        var writes = new ArrayList<LimitFile>();
        var warnings = new ArrayList<String>();
        var controllers = new LinkedHashSet<String>();
        for (LimitFile f : v2.files()) {
            if (mounts.isV2(f.controller())) writes.add(f);
        }
        for (LimitFile f : v1.files()) {
            if (!mounts.isV2(v2Name(f.controller())) && mounts.v1().containsKey(f.controller())) writes.add(f);
        }
        for (LimitFile.Note n : v2.warnings()) {
            if (mounts.isV2(n.controller()) || !mounts.v1().containsKey(v1Name(n.controller()))) {
                warnings.add(n.text());
            }
        }
        for (LimitFile.Note n : v1.warnings()) {
            if (!mounts.isV2(v2Name(n.controller())) && mounts.v1().containsKey(n.controller())) {
                warnings.add(n.text());
            }
        }
        for (LimitFile f : v2.files()) {
            if (!mounts.isV2(f.controller()) && !mounts.v1().containsKey(v1Name(f.controller()))) {
                warnings.add(f.file() + ": no " + f.controller() + " controller on this host; not limited");
            }
        }
        writes.forEach(f -> controllers.add(f.controller()));
        for (String c : ACCOUNTING) {
            if (mounts.isV2(c) || mounts.v1().containsKey(c)) controllers.add(c);
        }
        controllers.addAll(forSlices);
        if (limits.delegate() && mounts.unified().isPresent()) controllers.addAll(mounts.v2Controllers());

        Map<String, Path> byController = new LinkedHashMap<>();
        var v2Controllers = controllers.stream().filter(mounts::isV2).toList();
        Path delegated = null;
        if (!v2Controllers.isEmpty() || limits.delegate() && mounts.unified().isPresent()) {
            Path dir = makeV2(cgroupName, mounts.unified().orElseThrow(), relative, v2Controllers);
            v2Controllers.forEach(c -> byController.put(c, dir));
            if (limits.delegate()) delegated = dir;
        }
        if (delegated != null && owner.isPresent()) delegate(cgroupName, delegated, owner.get());
        for (String c : controllers) {
            if (mounts.isV2(c)) continue;
            Path base = mounts.v1().get(c);
            if (base == null) continue;
            byController.put(c, makeV1(cgroupName, c, base, relative));
        }
        for (LimitFile f : writes) {
            Path file = byController.get(f.controller()).resolve(f.file());
            try {
                Files.writeString(file, f.value(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                warnings.add("cannot write " + f.value() + " to " + file + ": " + reason(e) + "; not limited");
            }
        }
        var joined = new LinkedHashSet<Path>();
        if (delegated != null) joined.add(delegated);
        joined.addAll(byController.values());
        var join = new ArrayList<Path>(joined);
        Placement placement = new Placement(join, warnings);
        made.put(cgroupName, new Made(limits, relative, byController, placement, Set.copyOf(forSlices)));
        return placement;
    }

    /** The files systemd hands a delegated cgroup's user with the directory: what managing a subtree needs. */
    private static final List<String> DELEGATED_FILES = List.of("cgroup.procs", "cgroup.subtree_control",
            "cgroup.threads");

    /**
     * {@code Delegate=}: the service's user owns its v2 cgroup (the directory, to make cgroups below it, and the
     * files that move processes and enable controllers there), as systemd's cg_chown() does.
     */
    private static void delegate(String service, Path dir, Credentials owner) throws CgroupUnavailable {
        List<Path> paths = new ArrayList<>();
        paths.add(dir);
        DELEGATED_FILES.forEach(f -> paths.add(dir.resolve(f)));
        for (Path p : paths) {
            try {
                Files.setAttribute(p, "unix:gid", owner.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:uid", owner.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw new CgroupUnavailable(service + ": cannot delegate " + p + " to uid " + owner.uid() + ": "
                        + reason(e));
            }
        }
    }

    /** The v2 directory, made with each level's {@code cgroup.subtree_control} handing {@code controllers} down. */
    private static Path makeV2(String service, Path base, String relative, List<String> controllers)
            throws CgroupUnavailable {
        String enable = String.join(" ", controllers.stream().map(c -> "+" + c).toList());
        Path dir = base;
        for (String part : relative.split("/")) {
            if (controllers.isEmpty()) {
                dir = dir.resolve(part);
                mkdir(service, dir);
                continue;
            }
            try {
                Files.writeString(dir.resolve("cgroup.subtree_control"), enable, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new CgroupUnavailable(service + ": cannot enable " + enable + " in " + dir
                        + "/cgroup.subtree_control: " + reason(e)
                        + (dir.equals(base) ? " (the cgroup Vigil runs in must delegate them, and hold no process)"
                        : ""));
            }
            dir = dir.resolve(part);
            mkdir(service, dir);
        }
        return dir;
    }

    /** The v1 directory of one controller; a new cpuset level gets its parent's CPUs and memory nodes first. */
    private static Path makeV1(String service, String controller, Path base, String relative)
            throws CgroupUnavailable {
        Path dir = base;
        for (String part : relative.split("/")) {
            Path parent = dir;
            dir = dir.resolve(part);
            if (mkdir(service, dir) && controller.equals("cpuset")) {
                for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
                    try {
                        Files.writeString(dir.resolve(file), Files.readString(parent.resolve(file)).strip(),
                                StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                    } catch (IOException e) {
                        throw new CgroupUnavailable(service + ": cannot set " + dir.resolve(file) + ": " + reason(e));
                    }
                }
            }
        }
        return dir;
    }

    /** Makes a cgroup directory; true if it is new. */
    private static boolean mkdir(String service, Path dir) throws CgroupUnavailable {
        try {
            Files.createDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new CgroupUnavailable(service + ": cannot make cgroup " + dir + ": " + reason(e));
        }
    }

    @Override
    public Optional<ResourceUsage> usage(String cgroupName) {
        Made m = made.get(cgroupName);
        if (m == null) return Optional.empty();
        Path memory = m.byController.get("memory");
        boolean memoryV2 = mounts.isV2("memory");
        OptionalLong memoryBytes = memory == null ? OptionalLong.empty()
                : number(memory.resolve(memoryV2 ? "memory.current" : "memory.usage_in_bytes"));
        OptionalLong memoryMax = memory == null ? OptionalLong.empty()
                : limit(number(memory.resolve(memoryV2 ? "memory.max" : "memory.limit_in_bytes")));
        OptionalLong cpu = OptionalLong.empty();
        if (m.byController.containsKey("cpuacct")) {
            cpu = number(m.byController.get("cpuacct").resolve("cpuacct.usage"));
        } else if (!m.placement.join().isEmpty() && mounts.unified().isPresent()
                && m.placement.join().getFirst().startsWith(mounts.unified().get())) {
            OptionalLong micros = field(m.placement.join().getFirst().resolve("cpu.stat"), "usage_usec");
            if (micros.isPresent()) cpu = OptionalLong.of(micros.getAsLong() * 1000);
        }
        Path pids = m.byController.get("pids");
        OptionalLong tasks = pids == null ? OptionalLong.empty() : number(pids.resolve("pids.current"));
        OptionalLong tasksMax = pids == null ? OptionalLong.empty() : limit(number(pids.resolve("pids.max")));
        return Optional.of(new ResourceUsage(memoryBytes, memoryMax, cpu, tasks, tasksMax, oomKills(cgroupName)));
    }

    @Override
    public Optional<OomEvents> oomEvents(String cgroupName) {
        Made m = made.get(cgroupName);
        Path memory = m == null ? null : m.byController.get("memory");
        if (memory == null) return Optional.empty();
        boolean v2 = mounts.isV2("memory");
        return Optional.of(new OomEvents(memory.resolve(v2 ? "memory.events" : "memory.oom_control"), v2));
    }

    @Override
    public long oomKills(String cgroupName) {
        Made m = made.get(cgroupName);
        Path memory = m == null ? null : m.byController.get("memory");
        if (memory == null) return 0;
        return field(memory.resolve(mounts.isV2("memory") ? "memory.events" : "memory.oom_control"), "oom_kill")
                .orElse(0);
    }

    @Override
    public boolean release(String cgroupName) {
        Made m = made.get(cgroupName);
        if (m == null) return true;
        boolean gone = true;
        for (Path dir : m.placement.join()) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                gone = false; // processes left (EBUSY): kept until the next release
                continue;
            }
            // The slices above, once nothing else is in them; a busy one stays.
            Path base = baseOf(dir, m.relative);
            for (Path p = dir.getParent(); p != null && !p.equals(base) && p.startsWith(base); p = p.getParent()) {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    break;
                }
            }
        }
        if (gone) made.remove(cgroupName);
        return gone;
    }

    /** Every cgroup directory made and not yet released, for a check that nothing is left behind. */
    Set<Path> directories() {
        var all = new LinkedHashSet<Path>();
        made.values().forEach(m -> all.addAll(m.placement.join()));
        return all;
    }

    private static Path baseOf(Path dir, String relative) {
        Path p = dir;
        for (int i = relative.split("/").length; i > 0; i--) p = p.getParent();
        return p;
    }

    /** v1's names for v2's controllers, and back. */
    private static String v1Name(String v2) {
        return v2.equals("io") ? "blkio" : v2;
    }

    private static String v2Name(String v1) {
        return switch (v1) {
            case "blkio" -> "io";
            case "cpuacct" -> "cpu";
            default -> v1;
        };
    }

    private static String reason(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
    }

    /** A number file; v2's {@code max} and v1's near-2^63 "unlimited" read as {@link ResourceLimits#INFINITY}. */
    private static OptionalLong number(Path file) {
        try {
            String text = Files.readString(file).strip();
            return OptionalLong.of(text.equals("max") ? ResourceLimits.INFINITY : Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** A limit as status shows it: none when unlimited (v1 says so with a page-rounded 2^63). */
    private static OptionalLong limit(OptionalLong value) {
        return value.isPresent() && value.getAsLong() < (1L << 62) ? value : OptionalLong.empty();
    }

    /** {@code KEY N} from a flat-keyed file (memory.events, memory.oom_control, cpu.stat). */
    private static OptionalLong field(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(" ");
                if (f.length == 2 && f[0].equals(key)) return OptionalLong.of(Long.parseLong(f[1]));
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
