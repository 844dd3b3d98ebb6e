package vigil.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The empty leaves and slices of daemons that are gone are removed; anything else is left alone. */
class StaleCgroupsTest {
    @TempDir
    Path base;

    @Test
    void emptyLeftoversOfDeadDaemonsGoAndEverythingElseStays() throws Exception {
        Path deadScope = Files.createDirectories(base.resolve("vigil-daemon-41.scope"));
        Path deadSlice = Files.createDirectories(base.resolve("vigil-41.slice/web.service"));
        Path liveScope = Files.createDirectories(base.resolve("vigil-daemon-42.scope"));
        Path liveSlice = Files.createDirectories(base.resolve("vigil-42.slice"));
        // A service that outlived its daemon: in a cgroup a file stands for the process that makes rmdir fail.
        Path busy = Files.createDirectories(base.resolve("vigil-43.slice/db.service"));
        Files.writeString(busy.resolve("cgroup.procs"), "4343\n");
        Path shared = Files.createDirectories(base.resolve("vigil-daemon.scope"));
        Path other = Files.createDirectories(base.resolve("system-44.slice"));

        List<Path> removed = StaleCgroups.remove(base, Set.of(42)::contains);

        assertEquals(Set.of(deadScope, deadSlice.getParent()), Set.copyOf(removed));
        assertTrue(Files.notExists(deadScope) && Files.notExists(deadSlice.getParent()));
        assertTrue(Files.isDirectory(liveScope) && Files.isDirectory(liveSlice), "a live daemon's stay");
        assertTrue(Files.isDirectory(busy), "a cgroup with a process in it stays");
        assertTrue(Files.isDirectory(shared) && Files.isDirectory(other), "not a dead daemon's: not touched");
    }
}
