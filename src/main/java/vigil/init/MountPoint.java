package vigil.init;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A file system mounted, as one line of /proc/self/mountinfo tells it.
 *
 * @param path     where it is mounted
 * @param type     the file system's type (ext4, tmpfs, proc...)
 * @param readOnly whether it is read-only already (the mount's or the superblock's flag)
 */
public record MountPoint(String path, String type, boolean readOnly) {
    /**
     * The kernel's own file systems, which hold no disk's data and which the kernel tears down itself: nothing to
     * unmount for a clean disk, and unmounting /proc or /sys would only take away what the rest still reads.
     */
    private static final Set<String> KERNEL_TYPES = Set.of("proc", "sysfs", "devtmpfs", "devpts", "cgroup",
            "cgroup2", "securityfs", "debugfs", "tracefs", "pstore", "efivarfs", "bpf", "configfs", "fusectl",
            "mqueue", "hugetlbfs", "binfmt_misc", "autofs", "rpc_pipefs", "nsfs");

    /** Whether this is one of the kernel's own file systems, left alone at the end. */
    public boolean kernels() {
        return KERNEL_TYPES.contains(type);
    }

    /**
     * The mounts of a /proc/self/mountinfo text, in its order: a mount comes after the one it is mounted on.
     * Lines that do not parse are skipped: at the end of the system, the rest still gets unmounted.
     */
    public static List<MountPoint> parse(String mountinfo) {
        List<MountPoint> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (separator < 6 || fields.length < separator + 4) continue;
            boolean readOnly = hasRo(fields[5]) || hasRo(fields[separator + 3]);
            mounts.add(new MountPoint(unescape(fields[4]), fields[separator + 1], readOnly));
        }
        return mounts;
    }

    private static boolean hasRo(String options) {
        return List.of(options.split(",")).contains("ro");
    }

    /** The kernel writes a space, tab, newline and backslash in a path as \040, \011, \012 and \134. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String field, int from) {
        if (from + 3 > field.length()) return false;
        for (int i = from; i < from + 3; i++) {
            if (field.charAt(i) < '0' || field.charAt(i) > '7') return false;
        }
        return true;
    }
}
