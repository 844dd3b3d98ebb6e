package vigil.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where this process's cgroups are, in every hierarchy: the v2 tree (if cgroup2 is mounted) and each mounted v1
 * controller's. Found from /proc/self/mountinfo and /proc/self/cgroup, never assumed: a hybrid host has cgroup2 at
 * {@code /sys/fs/cgroup/unified} and the controllers in v1 beside it, and Vigil may run in a container whose cgroup
 * is far below the root.
 *
 * @param unified      Vigil's own directory in the v2 tree
 * @param v2Controllers the controllers the v2 tree offers Vigil's cgroup (its {@code cgroup.controllers})
 * @param v1           Vigil's own directory in each mounted v1 controller's hierarchy, by controller
 */
public record CgroupMounts(Optional<Path> unified, Set<String> v2Controllers, Map<String, Path> v1) {
    public static final CgroupMounts NONE = new CgroupMounts(Optional.empty(), Set.of(), Map.of());

    public CgroupMounts {
        v2Controllers = Set.copyOf(v2Controllers);
        v1 = Map.copyOf(v1);
    }

    /** This process's, read now. */
    public static CgroupMounts current() throws IOException {
        CgroupMounts m = parse(Files.readString(Path.of("/proc/self/mountinfo")),
                Files.readString(Path.of("/proc/self/cgroup")));
        Set<String> offered = Set.of();
        if (m.unified.isPresent()) {
            Path controllers = m.unified.get().resolve("cgroup.controllers");
            if (Files.exists(controllers)) offered = Set.of(Files.readString(controllers).strip().split("\\s+"));
        }
        return new CgroupMounts(m.unified, offered, m.v1);
    }

    /** The controllers a v2 cgroup offers its children ({@code cgroup.controllers}); none if it cannot be read. */
    public static Set<String> controllersOf(Path cgroup) {
        try {
            String text = Files.readString(cgroup.resolve("cgroup.controllers")).strip();
            return text.isEmpty() ? Set.of() : Set.of(text.split("\\s+"));
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** From the texts of /proc/self/mountinfo and /proc/self/cgroup; {@link #v2Controllers} is left empty. */
    static CgroupMounts parse(String mountinfo, String selfCgroup) {
        Map<String, String> v1Paths = new HashMap<>();
        String v2Path = null;
        for (String line : selfCgroup.lines().toList()) {
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            if (f[0].equals("0") && f[1].isEmpty()) v2Path = f[2];
            else for (String c : f[1].split(",")) v1Paths.put(c, f[2]);
        }
        Path unified = null;
        Map<String, Path> v1 = new HashMap<>();
        for (String line : mountinfo.lines().toList()) {
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String[] before = line.substring(0, dash).split(" ");
            String[] after = line.substring(dash + 3).split(" ");
            if (before.length < 5 || after.length < 3) continue;
            String root = unescape(before[3]);
            Path mountPoint = Path.of(unescape(before[4]));
            switch (after[0]) {
                case "cgroup2" -> {
                    if (v2Path != null && unified == null) {
                        unified = inside(mountPoint, root, v2Path).orElse(null);
                    }
                }
                case "cgroup" -> {
                    for (String option : after[2].split(",")) {
                        String path = v1Paths.get(option);
                        if (path != null && !v1.containsKey(option)) {
                            inside(mountPoint, root, path).ifPresent(p -> v1.put(option, p));
                        }
                    }
                }
                default -> { }
            }
        }
        return new CgroupMounts(Optional.ofNullable(unified), Set.of(), v1);
    }

    /** Our directory under a mount of the hierarchy's {@code root}; empty if our cgroup is not visible there. */
    private static Optional<Path> inside(Path mountPoint, String root, String ours) {
        if (root.equals("/")) return Optional.of(under(mountPoint, ours));
        if (ours.equals(root)) return Optional.of(mountPoint);
        if (ours.startsWith(root + "/")) return Optional.of(under(mountPoint, ours.substring(root.length())));
        return Optional.empty();
    }

    private static Path under(Path mountPoint, String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return relative.isEmpty() ? mountPoint : mountPoint.resolve(relative);
    }

    /** mountinfo's octal escapes: {@code \040} for a space and the like. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        var out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()
                    && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Which hierarchy holds {@code controller} for Vigil: v2 when the v2 tree offers it, otherwise its v1
     * hierarchy; empty if neither has it. v1's {@code blkio} is v2's {@code io}; v1's {@code cpuacct} accounts
     * what v2's {@code cpu.stat} does.
     */
    public Optional<Path> directoryFor(String controller) {
        if (unified.isPresent() && v2Controllers.contains(controller)) return unified;
        return Optional.ofNullable(v1.get(controller));
    }

    /** Whether {@code controller} is a v2 one here. */
    public boolean isV2(String controller) {
        return unified.isPresent() && v2Controllers.contains(controller);
    }

    /** The v1 controllers Vigil knows how to use, in the order their directories are joined. */
    static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "cpuacct", "cpuset", "pids", "blkio",
            "devices");
}
