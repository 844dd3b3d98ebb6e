package vigil.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which service a process belongs to, from its cgroup, for the orphan sweep's word in the log. */
class CgroupsTest {
    private static final Path SLICE = Path.of("/sys/fs/cgroup/unified/vigil.slice");

    @Test
    void aProcessInASubSliceBelongsToTheServiceBelowIt() {
        assertEquals(Optional.of("web.service"), Cgroups.serviceIn(SLICE, SLICE.resolve("web.service")));
        assertEquals(Optional.of("web.service"),
                Cgroups.serviceIn(SLICE, SLICE.resolve("test.slice/test-web.slice/web.service")));
        assertEquals(Optional.of("web.service"),
                Cgroups.serviceIn(SLICE, SLICE.resolve("a.slice/web.service/its-own/cgroup")), "Delegate=");
        assertEquals(Optional.empty(), Cgroups.serviceIn(SLICE, SLICE.resolve("a.slice")));
        assertEquals(Optional.empty(), Cgroups.serviceIn(SLICE, SLICE));
        assertEquals(Optional.empty(), Cgroups.serviceIn(SLICE, Path.of("/sys/fs/cgroup/unified/other.slice/x")));
    }
}
