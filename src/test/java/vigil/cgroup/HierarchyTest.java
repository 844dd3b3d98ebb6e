package vigil.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Finding the v2 hierarchy and Vigil's own cgroup from /proc/self/mountinfo and /proc/self/cgroup. */
class HierarchyTest {
    private static final String HYBRID = """
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    @Test
    void aHybridHostHasItsV2HierarchyAtUnified() {
        Hierarchy h = Hierarchy.parse(HYBRID, "4:memory:/process_api/f04\n1:cpu:/\n0::/\n").orElseThrow();
        assertEquals(Path.of("/sys/fs/cgroup/unified"), h.mount());
        assertEquals(h.mount(), h.own());
        assertTrue(h.atRoot());
    }

    @Test
    void aPureV2HostWithVigilInAServiceCgroup() {
        String mountinfo = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                + "rw,nsdelegate,memory_recursiveprot\n";
        Hierarchy h = Hierarchy.parse(mountinfo, "0::/system.slice/vigil.service\n").orElseThrow();
        assertEquals(Path.of("/sys/fs/cgroup/system.slice/vigil.service"), h.own());
        assertFalse(h.atRoot());
    }

    @Test
    void aMountOfASubtreeCountsFromItsRoot() {
        String mountinfo = "50 40 0:30 /user.slice /mnt/cg\\040here rw - cgroup2 cgroup2 rw\n";
        assertEquals(Optional.of(new Hierarchy(Path.of("/mnt/cg here"), Path.of("/mnt/cg here/user-1000.slice"))),
                Hierarchy.parse(mountinfo, "0::/user.slice/user-1000.slice\n"));
        assertEquals(Optional.empty(), Hierarchy.parse(mountinfo, "0::/system.slice\n"),
                "Vigil's cgroup lies outside what is mounted");
    }

    @Test
    void noV2MountOrNoV2LineMeansNoHierarchy() {
        assertEquals(Optional.empty(), Hierarchy.parse(HYBRID.replace("cgroup2 cgroup2", "tmpfs tmpfs"), "0::/\n"));
        assertEquals(Optional.empty(), Hierarchy.parse(HYBRID, "4:memory:/\n"));
    }
}
