package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.FdStore.Preserve;
import vigil.os.Fds;

/** The fd store on real fds (pipes): its bound, FDSTOREREMOVE=1, FileDescriptorStorePreserve= and what it passes. */
class FdStoreTest {
    private final FdStore store = new FdStore();
    private final List<Integer> opened = new ArrayList<>();

    @AfterEach
    void closeLeftovers() {
        store.release("a.service");
        for (int fd : opened) if (open(fd)) Fds.close(fd);
    }

    private int pipeEnd() throws Exception {
        int[] p = Fds.pipe(0);
        Fds.close(p[1]);
        opened.add(p[0]);
        return p[0];
    }

    private static boolean open(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }

    private static UnitSpec.FdStore max(int n) {
        return new UnitSpec.FdStore(n, Preserve.RESTART);
    }

    @Test
    void fdsBeyondTheMaxAreClosedAtOnceAndAZeroMaxRefusesAll() throws Exception {
        int a = pipeEnd(), b = pipeEnd(), c = pipeEnd();
        assertEquals("", store.store("a.service", max(2), List.of(a), "x"));
        assertEquals("1 fd(s) not stored: FileDescriptorStoreMax=2 reached",
                store.store("a.service", max(2), List.of(b, c), null));
        assertEquals(List.of(new FdStore.Stored(a, "x"), new FdStore.Stored(b, "stored")), store.of("a.service"));
        assertFalse(open(c));
        int d = pipeEnd();
        assertTrue(store.store("b.service", max(0), List.of(d), null).contains("the store is off"));
        assertFalse(open(d));
        assertEquals(2, store.size());
    }

    @Test
    void anInvalidNameClosesItsFdsAndRemoveClosesByName() throws Exception {
        int a = pipeEnd(), b = pipeEnd(), c = pipeEnd();
        assertTrue(store.store("a.service", max(5), List.of(a), "no:colons").startsWith("FDNAME=no:colons"));
        assertFalse(open(a));
        store.store("a.service", max(5), List.of(b), "keep");
        store.store("a.service", max(5), List.of(c), "drop");
        store.remove("a.service", "drop");
        assertFalse(open(c));
        assertTrue(open(b));
        assertEquals(List.of(new FdStore.Stored(b, "keep")), store.of("a.service"));
    }

    @Test
    void theSameOpenFileStoredTwiceIsKeptOnceAndItsCopyClosedButAPipesTwoEndsAreTwo() throws Exception {
        int a = pipeEnd();
        int pidfd = vigil.os.Children.pidfdOpen((int) ProcessHandle.current().pid());
        int copy;
        try {
            copy = vigil.os.Children.pidfdGetfd(pidfd, a);
        } finally {
            Fds.close(pidfd);
        }
        opened.add(copy);
        int[] p = Fds.pipe(0);
        opened.add(p[0]);
        opened.add(p[1]);
        assertEquals("", store.store("a.service", max(5), List.of(a), "conn"));
        assertEquals("", store.store("a.service", max(5), List.of(copy, p[0], p[1]), "again"));
        assertFalse(open(copy), "the copy is closed");
        assertEquals(List.of(new FdStore.Stored(a, "conn"), new FdStore.Stored(p[0], "again"),
                new FdStore.Stored(p[1], "again")), store.of("a.service"));
    }

    @Test
    void preserveSaysWhichStopsReleaseTheStore() throws Exception {
        int a = pipeEnd();
        store.store("a.service", max(5), List.of(a), null);
        store.stopped("a.service", Preserve.RESTART, true);
        store.stopped("a.service", Preserve.YES, false);
        assertTrue(open(a), "kept across a restart, and by yes");
        store.stopped("a.service", Preserve.RESTART, false);
        assertFalse(open(a), "released by a stop for good");
        int b = pipeEnd();
        store.store("a.service", max(5), List.of(b), null);
        store.stopped("a.service", Preserve.NO, true);
        assertFalse(open(b), "no: released at every stop");
        assertEquals(0, store.size());
    }

    @Test
    void storedFdsComeAfterTheSocketsAndStayInTheStore() throws Exception {
        int a = pipeEnd();
        store.store("a.service", max(5), List.of(a), "conn");
        PassedFds.Source sockets = s -> Optional.of(new PassedFds(List.of(100), List.of("web.socket"),
                OptionalInt.empty(), java.util.Map.of()));
        PassedFds passed = store.after(sockets).fdsFor("a.service").orElseThrow();
        assertEquals(List.of(100, a), passed.fds());
        assertEquals(List.of("web.socket", "conn"), passed.names());
        assertEquals(Optional.empty(), store.after(s -> Optional.empty()).fdsFor("other.service"));
        assertEquals(1, store.size(), "a service that crashes gets them again");
    }
}
