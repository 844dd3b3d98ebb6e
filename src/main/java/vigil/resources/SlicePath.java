package vigil.resources;

import java.util.Optional;

/**
 * Where a service's cgroup goes below Vigil's own, as systemd nests slices: {@code a-b.slice} is inside
 * {@code a.slice}. The daemon's slice ({@code vigil.slice}, or {@code vigil-PID.slice} for a second daemon) is the
 * root of that tree, as {@code -.slice} is systemd's: everything of a daemon's stays in the slice it owns, where its
 * second TERM, its shutdown and its orphan sweep find it. So {@code Slice=a-b.slice} puts {@code NAME.service} at
 * {@code vigil.slice/a.slice/a-b.slice/NAME.service}, and {@code Slice=-.slice} or none at
 * {@code vigil.slice/NAME.service}: one directory, which both tracking and resource control use.
 */
public final class SlicePath {
    /** The daemon's slice when it is the only daemon in its cgroup. */
    public static final String DEFAULT_SLICE = "vigil.slice";

    private SlicePath() {}

    /** {@code a.slice/a-b.slice} for {@code a-b.slice}; empty for the root slice {@code -.slice}. */
    public static String of(String slice) {
        String prefix = slice.substring(0, slice.length() - ".slice".length());
        if (prefix.equals("-")) return "";
        var path = new StringBuilder();
        int dash = -1;
        while ((dash = prefix.indexOf('-', dash + 1)) >= 0) {
            path.append(prefix, 0, dash).append(".slice/");
        }
        return path.append(slice).toString();
    }

    /** The slice {@code slice} and those it is in, outermost first: {@code a.slice}, {@code a-b.slice}. */
    public static java.util.List<String> chain(Optional<String> slice) {
        if (slice.isEmpty()) return java.util.List.of();
        var chain = new java.util.ArrayList<String>();
        for (String level : of(slice.get()).split("/")) {
            if (!level.isEmpty()) chain.add(level);
        }
        return chain;
    }

    /** The cgroup of {@code cgroupName} (a unit's {@code foo.service}) under its slice, relative to Vigil's own. */
    public static String service(String cgroupName, Optional<String> slice) {
        return service(cgroupName, slice, DEFAULT_SLICE);
    }

    /**
     * As {@link #service(String, Optional)}, where services without {@code Slice=} go in {@code defaultSlice}: the
     * daemon's own ({@code vigil-PID.slice} for a second daemon in one cgroup), so that their limits are in the
     * very cgroup that tracks them.
     */
    public static String service(String cgroupName, Optional<String> slice, String defaultSlice) {
        return slice(slice, defaultSlice) + "/" + cgroupName;
    }

    /** The cgroup of the slice {@code slice} (none: the daemon's own), relative to Vigil's own cgroup. */
    public static String slice(Optional<String> slice, String defaultSlice) {
        String nested = slice.map(SlicePath::of).orElse("");
        return nested.isEmpty() ? defaultSlice : defaultSlice + "/" + nested;
    }
}
