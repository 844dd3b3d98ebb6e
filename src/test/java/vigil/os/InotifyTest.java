package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InotifyTest {
    private static final int MASK = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM
            | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF | Inotify.IN_ONLYDIR;

    @TempDir
    Path dir;

    private final Inotify inotify = Inotify.create();
    private final Epoll epoll = Epoll.create();

    InotifyTest() throws OsException {
        epoll.add(inotify.fd(), Epoll.EPOLLIN);
    }

    @AfterEach
    void close() {
        epoll.close();
        inotify.close();
    }

    /**
     * Reads events until {@code count} have arrived or 5 s pass. A wait that returns nothing is no timeout: epoll
     * returns 0 for EINTR too, when a signal meant for the process interrupts this thread.
     */
    private List<Inotify.Event> await(int count) throws OsException {
        List<Inotify.Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (long remaining; events.size() < count && (remaining = deadline - System.nanoTime()) > 0; ) {
            epoll.wait((int) Math.max(1, remaining / 1_000_000));
            events.addAll(inotify.readEvents());
        }
        return events;
    }

    @Test
    void seesCreateRenameAndDelete() throws Exception {
        int wd = inotify.addWatch(dir, MASK);
        assertTrue(inotify.readEvents().isEmpty());

        Files.createDirectory(dir.resolve("svc"));
        Files.move(dir.resolve("svc"), dir.resolve("svc-ünï"));
        Files.delete(dir.resolve("svc-ünï"));

        List<Inotify.Event> events = await(4);
        assertEquals(4, events.size(), events.toString());
        Inotify.Event created = events.get(0);
        assertEquals(new Inotify.Event(wd, Inotify.IN_CREATE | Inotify.IN_ISDIR, 0, "svc"), created);
        Inotify.Event from = events.get(1);
        Inotify.Event to = events.get(2);
        assertEquals("svc", from.name());
        assertTrue(from.is(Inotify.IN_MOVED_FROM));
        assertEquals("svc-ünï", to.name());
        assertTrue(to.is(Inotify.IN_MOVED_TO));
        assertNotEquals(0, from.cookie());
        assertEquals(from.cookie(), to.cookie(), "a rename's two halves share a cookie");
        assertEquals(new Inotify.Event(wd, Inotify.IN_DELETE | Inotify.IN_ISDIR, 0, "svc-ünï"), events.get(3));
        assertTrue(inotify.readEvents().isEmpty(), "everything was drained");
    }

    @Test
    void manyEventsAreAllRead() throws Exception {
        inotify.addWatch(dir, MASK);
        for (int i = 0; i < 500; i++) Files.createFile(dir.resolve("file-with-a-longish-name-" + i));
        List<Inotify.Event> events = await(500);
        assertEquals(500, events.size());
        for (int i = 0; i < 500; i++) assertEquals("file-with-a-longish-name-" + i, events.get(i).name());
    }

    @Test
    void deletingTheWatchedDirectoryEndsTheWatch() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        int wd = inotify.addWatch(sub, MASK);
        Files.delete(sub);
        List<Inotify.Event> events = await(2);
        assertEquals(List.of(new Inotify.Event(wd, Inotify.IN_DELETE_SELF, 0, ""),
                new Inotify.Event(wd, Inotify.IN_IGNORED, 0, "")), events);
    }

    @Test
    void removeWatchStopsEventsAndSaysIgnored() throws Exception {
        int wd = inotify.addWatch(dir, MASK);
        inotify.removeWatch(wd);
        Files.createFile(dir.resolve("after"));
        List<Inotify.Event> events = await(1);
        assertEquals(List.of(new Inotify.Event(wd, Inotify.IN_IGNORED, 0, "")), events);
        assertEquals(Errno.EINVAL, assertThrows(OsException.class, () -> inotify.removeWatch(wd)).errno());
    }

    @Test
    void addWatchFailsOnFilesWithOnlyDirAndOnMissingPaths() throws Exception {
        Path file = Files.createFile(dir.resolve("plain"));
        assertEquals(Errno.ENOTDIR, assertThrows(OsException.class, () -> inotify.addWatch(file, MASK)).errno());
        assertEquals(Errno.ENOENT,
                assertThrows(OsException.class, () -> inotify.addWatch(dir.resolve("none"), MASK)).errno());
    }

    @Test
    void fdIsNonBlockingAndCloseOnExec() throws Exception {
        assertTrue(Fds.isCloseOnExec(inotify.fd()));
        assertEquals(Fds.O_NONBLOCK, Fds.statusFlags(inotify.fd()) & Fds.O_NONBLOCK);
    }
}
