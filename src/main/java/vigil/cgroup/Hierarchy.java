package vigil.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the cgroup v2 hierarchy is mounted and which of its cgroups Vigil is in, as the kernel says: the
 * {@code cgroup2} line of /proc/self/mountinfo and the {@code 0::} line of /proc/self/cgroup. Never a fixed path:
 * a pure v2 host mounts it at /sys/fs/cgroup, a hybrid one (v1 controllers still mounted) at
 * /sys/fs/cgroup/unified, a container wherever it likes.
 *
 * @param mount where the hierarchy is mounted
 * @param own   Vigil's own cgroup, as a directory under {@code mount}
 */
public record Hierarchy(Path mount, Path own) {
    /** The hierarchy of this process, or empty if there is no v2 hierarchy mounted or Vigil is not in it. */
    public static Optional<Hierarchy> find() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")),
                    Files.readString(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The hierarchy from the text of /proc/self/mountinfo and /proc/self/cgroup. A mount of a subtree only (its
     * root field not "/", as in a cgroup namespace's bind mount) is used if Vigil's cgroup lies within it.
     */
    static Optional<Hierarchy> parse(String mountinfo, String cgroup) {
        String ownPath = null;
        for (String line : cgroup.split("\n")) {
            if (line.startsWith("0::")) ownPath = line.substring(3).strip();
        }
        // "0::/" alone is also what a pure v1 host shows: the v2 mount below decides.
        if (ownPath == null || !ownPath.startsWith("/")) return Optional.empty();
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String[] after = line.substring(dash + 3).split(" ");
            if (after.length < 1 || !after[0].equals("cgroup2")) continue;
            String[] fields = line.substring(0, dash).split(" ");
            if (fields.length < 5) continue;
            String root = unescape(fields[3]);
            Path mount = Path.of(unescape(fields[4]));
            Optional<String> within = relative(root, ownPath);
            if (within.isEmpty()) continue;
            return Optional.of(new Hierarchy(mount, within.get().isEmpty() ? mount : mount.resolve(within.get())));
        }
        return Optional.empty();
    }

    /** Whether Vigil is in the hierarchy's root cgroup (as PID 1, or on a host that never moved it). */
    public boolean atRoot() {
        return own.equals(mount);
    }

    /** {@code path} relative to the mount's {@code root}, or empty if it lies outside it. */
    private static Optional<String> relative(String root, String path) {
        if (root.equals("/")) return Optional.of(path.substring(1));
        if (path.equals(root)) return Optional.of("");
        if (path.startsWith(root + "/")) return Optional.of(path.substring(root.length() + 1));
        return Optional.empty();
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes ({@code \040}). */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) return field;
        var out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1, 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from, int count) {
        if (from + count > s.length()) return false;
        for (int i = from; i < from + count; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        }
        return true;
    }
}
