package vigil.resources;

import java.util.Optional;

/**
 * Where a service's cgroup goes below Vigil's own, as systemd nests slices: {@code a-b.slice} is inside
 * {@code a.slice}, so {@code Slice=a-b.slice} puts {@code NAME.service} at {@code a.slice/a-b.slice/NAME.service};
 * {@code -.slice} is the root (Vigil's own cgroup). Without {@code Slice=} a service goes in {@code vigil.slice},
 * Vigil's {@code system.slice}.
 */
public final class SlicePath {
    /** Where services go without {@code Slice=}. */
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
        String parent = slice.isPresent() ? of(slice.get()) : defaultSlice;
        return parent.isEmpty() ? cgroupName : parent + "/" + cgroupName;
    }
}
