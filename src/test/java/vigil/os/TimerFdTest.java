package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TimerFdTest {
    private final TimerFd timer = TimerFd.create();
    private final Epoll epoll = Epoll.create();

    TimerFdTest() throws OsException {
        epoll.add(timer.fd(), Epoll.EPOLLIN);
    }

    @AfterEach
    void close() {
        epoll.close();
        timer.close();
    }

    @Test
    void systemNanoTimeIsClockMonotonic() throws Throwable {
        // TimerFd arms CLOCK_MONOTONIC with System.nanoTime() values unconverted; this is what makes that right.
        long before = System.nanoTime();
        long monotonic = TestLibc.clockMonotonicNanos();
        long after = System.nanoTime();
        assertTrue(before <= monotonic && monotonic <= after,
                "CLOCK_MONOTONIC " + monotonic + " not within nanoTime [" + before + ", " + after + "]");
    }

    @Test
    void aPastDeadlineFiresAtOnce() throws Exception {
        timer.armAt(System.nanoTime() - 1_000_000_000L);
        assertEquals(1, epoll.wait(5000));
        assertEquals(1, timer.drain());
        assertEquals(0, epoll.wait(0), "drained and one-shot");
        assertEquals(0, timer.drain());
    }

    @Test
    void deadlinesAtOrBeforeZeroStillFire() throws Exception {
        timer.armAt(0);
        assertEquals(1, epoll.wait(5000));
        timer.drain();
        timer.armAt(Long.MIN_VALUE);
        assertEquals(1, epoll.wait(5000));
    }

    @Test
    void aFutureDeadlineFiresNoEarlier() throws Exception {
        long deadline = System.nanoTime() + 50_000_000L;
        timer.armAt(deadline);
        assertEquals(1, epoll.wait(5000));
        assertTrue(System.nanoTime() >= deadline, "fired before its deadline");
        assertEquals(1, timer.drain());
    }

    @Test
    void rearmingReplacesAndDisarmStops() throws Exception {
        timer.armAt(System.nanoTime() + 3_600_000_000_000L);
        assertEquals(0, epoll.wait(0));
        timer.armAt(System.nanoTime());
        assertEquals(1, epoll.wait(5000), "the later setting replaced the earlier one");
        timer.drain();

        timer.armAt(System.nanoTime() + 20_000_000L);
        timer.disarm();
        assertEquals(0, epoll.wait(100), "disarmed before its deadline");
        assertEquals(0, timer.drain());
    }

    @Test
    void fdIsNonBlockingAndCloseOnExec() throws Exception {
        assertTrue(Fds.isCloseOnExec(timer.fd()));
        assertEquals(Fds.O_NONBLOCK, Fds.statusFlags(timer.fd()) & Fds.O_NONBLOCK);
    }
}
