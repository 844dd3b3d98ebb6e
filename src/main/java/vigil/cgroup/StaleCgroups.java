package vigil.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cgroups a daemon that found {@code vigil.slice} taken made for itself ({@code vigil-daemon-PID.scope},
 * {@code vigil-PID.slice}) stay behind when it exits, since a daemon cannot remove the leaf it is in. A daemon
 * starting up removes those of daemons that are gone (their pid no longer exists), where they are empty: rmdir
 * refuses a cgroup that still holds a process, so a service that outlived its daemon keeps its cgroup.
 */
final class StaleCgroups {
    private static final Pattern STALE = Pattern.compile("vigil-daemon-(\\d+)\\.scope|vigil-(\\d+)\\.slice");

    private StaleCgroups() {}

    /**
     * Removes the empty leftovers under {@code base} of daemons for which {@code alive} says no; returns what went.
     */
    static List<Path> remove(Path base, IntPredicate alive) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(base, Files::isDirectory)) {
            for (Path dir : entries) {
                Matcher m = STALE.matcher(dir.getFileName().toString());
                if (!m.matches()) continue;
                int pid = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
                if (alive.test(pid)) continue;
                if (removeEmpty(dir)) removed.add(dir);
            }
        } catch (IOException | NumberFormatException e) {
            // Nothing to tidy, or a base that cannot be listed: the daemon goes on without tidying.
        }
        return removed;
    }

    /** Whether {@code pid} is a process now. */
    static boolean exists(int pid) {
        return Files.exists(Path.of("/proc", Integer.toString(pid)));
    }

    /** rmdir of the tree, deepest first, as much of it as is empty; false if a cgroup in it is not. */
    static boolean removeEmpty(Path dir) {
        boolean empty = true;
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path child : children) {
                empty &= removeEmpty(child);
            }
        } catch (IOException e) {
            return false;
        }
        if (!empty) return false;
        try {
            Files.delete(dir);
            return true;
        } catch (IOException e) {
            return false; // EBUSY: a process is still in it
        }
    }
}
