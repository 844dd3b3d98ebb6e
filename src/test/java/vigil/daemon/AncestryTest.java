package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import vigil.testing.Await;
import vigil.testing.Procs;

/** The stand-in for a cgroup: whether a real process descends from a unit's, read from /proc. */
class AncestryTest {
    /** Not this JVM: the walk must go on through it to reach the anchors above. */
    private static final int NOT_VIGIL = -1;
    private final int jvm = (int) ProcessHandle.current().pid();
    private Process started;

    @AfterEach
    void stop() throws Exception {
        if (started == null) return;
        started.descendants().forEach(ProcessHandle::destroyForcibly);
        started.destroyForcibly();
        started.waitFor();
    }

    @Test
    void aChildAndAGrandchildBelongToTheirAncestor() throws Exception {
        // sh starts sleep and prints its pid: the grandchild of this JVM.
        started = new ProcessBuilder("sh", "-c", "sleep 1093 & echo $!; wait").start();
        int grandchild = Integer.parseInt(
                new BufferedReader(new InputStreamReader(started.getInputStream())).readLine().strip());
        Await.until("sleep runs", Duration.ofSeconds(10), () -> Procs.parent(grandchild) == started.pid());
        assertTrue(Ancestry.belongs((int) started.pid(), Set.of(jvm), NOT_VIGIL));
        assertTrue(Ancestry.belongs(grandchild, Set.of(jvm), NOT_VIGIL));
        assertTrue(Ancestry.belongs(grandchild, Set.of((int) started.pid()), NOT_VIGIL));
    }

    @Test
    void anAncestorOrAnUnrelatedProcessDoesNot() throws Exception {
        started = new ProcessBuilder("sleep", "1094").start();
        assertFalse(Ancestry.belongs(jvm, Set.of((int) started.pid()), NOT_VIGIL), "a parent is not a descendant");
        assertFalse(Ancestry.belongs(1, Set.of((int) started.pid()), NOT_VIGIL));
        assertFalse(Ancestry.belongs((int) started.pid(), Set.of(), NOT_VIGIL));
    }

    @Test
    void theWalkStopsAtVigil() throws Exception {
        started = new ProcessBuilder("sleep", "1095").start();
        int parentOfJvm = (int) Procs.parent(jvm);
        assertTrue(Ancestry.belongs((int) started.pid(), Set.of(parentOfJvm), NOT_VIGIL));
        assertFalse(Ancestry.belongs((int) started.pid(), Set.of(parentOfJvm), jvm),
                "what hangs off Vigil is no unit's, whatever is above Vigil");
    }
}
