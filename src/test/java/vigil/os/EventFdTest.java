package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventFdTest {
    private final EventFd eventFd = EventFd.create();
    private final Epoll epoll = Epoll.create();

    EventFdTest() throws OsException {
        epoll.add(eventFd.fd(), Epoll.EPOLLIN);
    }

    @AfterEach
    void close() {
        epoll.close();
        eventFd.close();
    }

    @Test
    void signalsCoalesceUntilDrained() throws Exception {
        assertEquals(0, epoll.wait(0));
        assertEquals(0, eventFd.drain());
        eventFd.signal();
        eventFd.signal();
        assertEquals(1, epoll.wait(5000));
        assertEquals(2, eventFd.drain());
        assertEquals(0, epoll.wait(0));
    }

    @Test
    void otherThreadsWakeAWaiter() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int j = 0; j < 100; j++) {
                    try {
                        eventFd.signal();
                    } catch (OsException e) {
                        throw new AssertionError(e);
                    }
                }
            }));
        }
        long total = 0;
        while (total < 400) {
            assertEquals(1, epoll.wait(5000), "woken within 5 s");
            total += eventFd.drain();
        }
        for (Thread t : threads) t.join();
        assertEquals(400, total);
    }

    @Test
    void fdIsNonBlockingAndCloseOnExec() throws Exception {
        assertTrue(Fds.isCloseOnExec(eventFd.fd()));
        assertEquals(Fds.O_NONBLOCK, Fds.statusFlags(eventFd.fd()) & Fds.O_NONBLOCK);
    }
}
