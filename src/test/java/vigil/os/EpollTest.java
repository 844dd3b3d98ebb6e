package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EpollTest {
    private final List<Integer> fds = new ArrayList<>();
    private final Epoll epoll = Epoll.create();

    EpollTest() throws OsException {}

    @AfterEach
    void closeAll() {
        epoll.close();
        fds.forEach(Fds::close);
    }

    private int[] pipe() throws OsException {
        int[] pipe = Fds.pipe(Fds.O_NONBLOCK);
        fds.add(pipe[0]);
        fds.add(pipe[1]);
        return pipe;
    }

    @Test
    void reportsWhichPipeBecameReadable() throws Exception {
        int[] a = pipe();
        int[] b = pipe();
        epoll.add(a[0], Epoll.EPOLLIN);
        epoll.add(b[0], Epoll.EPOLLIN);
        assertEquals(0, epoll.wait(0), "nothing written yet");

        Fds.write(b[1], new byte[] {1}, 0, 1);
        assertEquals(1, epoll.wait(5000));
        assertEquals(b[0], epoll.fd(0));
        assertEquals(Epoll.EPOLLIN, epoll.events(0));

        Fds.write(a[1], new byte[] {1}, 0, 1);
        assertEquals(2, epoll.wait(5000), "level-triggered: b is still unread");
        assertEquals(java.util.Set.of(a[0], b[0]), java.util.Set.of(epoll.fd(0), epoll.fd(1)));
        assertThrows(IndexOutOfBoundsException.class, () -> epoll.fd(2));
    }

    @Test
    void manyFdsKeepTheirOwnEventsInTheResultBuffer() throws Exception {
        // Exercises the struct layout: with a wrong stride, fds and events past the first would be garbage.
        Map<Integer, Integer> expected = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            int[] p = pipe();
            epoll.add(p[0], Epoll.EPOLLIN);
            epoll.add(p[1], Epoll.EPOLLOUT);
            expected.put(p[1], Epoll.EPOLLOUT);
            if (i % 2 == 0) {
                Fds.write(p[1], new byte[] {1}, 0, 1);
                expected.put(p[0], Epoll.EPOLLIN);
            } else {
                Fds.close(p[1]);
                fds.remove((Integer) p[1]);
                expected.remove(p[1]);
                expected.put(p[0], Epoll.EPOLLHUP);
            }
        }
        int n = epoll.wait(5000);
        Map<Integer, Integer> got = new HashMap<>();
        for (int i = 0; i < n; i++) got.put(epoll.fd(i), epoll.events(i));
        assertEquals(expected, got);
    }

    @Test
    void modifyAndRemoveChangeWhatIsReported() throws Exception {
        int[] p = pipe();
        epoll.add(p[1], Epoll.EPOLLIN);
        assertEquals(0, epoll.wait(0), "a pipe's write end is never readable");
        epoll.modify(p[1], Epoll.EPOLLOUT);
        assertEquals(1, epoll.wait(5000));
        assertEquals(Epoll.EPOLLOUT, epoll.events(0));
        epoll.remove(p[1]);
        assertEquals(0, epoll.wait(0));

        OsException twice = assertThrows(OsException.class, () -> epoll.remove(p[1]));
        assertEquals(Errno.ENOENT, twice.errno());
        epoll.add(p[0], Epoll.EPOLLIN);
        assertEquals(Errno.EEXIST, assertThrows(OsException.class, () -> epoll.add(p[0], Epoll.EPOLLIN)).errno());
    }

    @Test
    void moreReadyFdsThanTheBufferHoldsComeBackNextTime() throws Exception {
        int total = Epoll.MAX_EVENTS + 6;
        for (int i = 0; i < total; i++) epoll.add(pipe()[1], Epoll.EPOLLOUT);
        assertEquals(Epoll.MAX_EVENTS, epoll.wait(5000));
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < Epoll.MAX_EVENTS; i++) seen.add(epoll.fd(i));
        for (int fd : seen) epoll.remove(fd);
        assertEquals(6, epoll.wait(5000));
    }

    @Test
    void epollFdIsCloseOnExec() throws Exception {
        assertTrue(Fds.isCloseOnExec(epoll.fd()));
    }
}
