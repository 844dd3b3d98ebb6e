package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;
import sun.misc.SignalHandler;

class SignalEventsTest {
    private static final long SIG_DFL = 0, SIG_IGN = 1;

    private final SignalEvents events = SignalEvents.create();
    private final Epoll epoll = Epoll.create();

    SignalEventsTest() throws OsException {
        epoll.add(events.fd(), Epoll.EPOLLIN);
    }

    @AfterEach
    void close() {
        events.close();
        epoll.close();
    }

    private static long bit(int signal) {
        return 1L << (signal - 1);
    }

    /**
     * Collects taken signals until all of {@code wanted} have arrived or 5 s pass; returns what arrived. A wait that
     * returns nothing is no timeout: the signals themselves may interrupt it (EINTR) when they reach this thread.
     */
    private long await(SignalEvents source, Epoll on, long wanted) throws OsException {
        long arrived = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (long remaining; (arrived & wanted) != wanted && (remaining = deadline - System.nanoTime()) > 0; ) {
            on.wait((int) Math.max(1, remaining / 1_000_000));
            arrived |= source.take();
        }
        return arrived;
    }

    @Test
    void aSignalToOurOwnPidIsReported() throws Throwable {
        events.watch(Signals.SIGUSR1);
        assertEquals(0, events.take());
        TestLibc.killSelf(Signals.SIGUSR1);
        assertEquals(bit(Signals.SIGUSR1), await(events, epoll, bit(Signals.SIGUSR1)));
        assertEquals(0, events.take(), "taken once");
    }

    @Test
    void severalSignalsAreReportedTogether() throws Throwable {
        events.watch(Signals.SIGUSR1);
        events.watch(Signals.SIGUSR2);
        events.watch(Signals.SIGUSR2);
        TestLibc.killSelf(Signals.SIGUSR2);
        TestLibc.killSelf(Signals.SIGUSR1);
        TestLibc.killSelf(Signals.SIGUSR2);
        long both = bit(Signals.SIGUSR1) | bit(Signals.SIGUSR2);
        assertEquals(both, await(events, epoll, both));
    }

    @Test
    void everyWatcherHearsTheSignalAndTheOldHandlerComesBack() throws Throwable {
        assertEquals(SIG_DFL, TestLibc.sigaction(Signals.SIGUSR1)[0], "USR1 starts at its default");
        try (SignalEvents other = SignalEvents.create(); Epoll otherEpoll = Epoll.create()) {
            otherEpoll.add(other.fd(), Epoll.EPOLLIN);
            events.watch(Signals.SIGUSR1);
            other.watch(Signals.SIGUSR1);
            TestLibc.killSelf(Signals.SIGUSR1);
            assertEquals(bit(Signals.SIGUSR1), await(events, epoll, bit(Signals.SIGUSR1)));
            assertEquals(bit(Signals.SIGUSR1), await(other, otherEpoll, bit(Signals.SIGUSR1)));

            events.unwatch(Signals.SIGUSR1);
            assertNotEquals(SIG_DFL, TestLibc.sigaction(Signals.SIGUSR1)[0], "still watched by the other");
            TestLibc.killSelf(Signals.SIGUSR1);
            assertEquals(bit(Signals.SIGUSR1), await(other, otherEpoll, bit(Signals.SIGUSR1)));
            assertEquals(0, events.take());
        }
        assertEquals(SIG_DFL, TestLibc.sigaction(Signals.SIGUSR1)[0], "the default is back once nobody watches");
    }

    @Test
    void signalsTheJvmKeepsAreRefused() {
        for (int reserved : new int[] {Signals.SIGQUIT, Signals.SIGKILL, Signals.SIGSTOP, Signals.SIGSEGV,
                Signals.SIGFPE, Signals.SIGILL}) {
            assertThrows(IllegalArgumentException.class, () -> events.watch(reserved), Signals.name(reserved));
        }
        assertThrows(IllegalArgumentException.class, () -> events.watch(40), "real-time signals have no name");
        assertThrows(IllegalArgumentException.class, () -> events.watch(0));
        assertThrows(IllegalArgumentException.class, () -> events.watch(65));
    }

    @Test
    void anInheritedIgnoredHangupIsStillCaught() throws Throwable {
        Signal hup = new Signal("HUP");
        // As if started under nohup. HotSpot would then silently refuse a Java handler for HUP.
        SignalHandler jvmHandler = Signal.handle(hup, SignalHandler.SIG_IGN);
        try {
            assertEquals(SIG_IGN, TestLibc.sigaction(Signals.SIGHUP)[0]);
            events.watch(Signals.SIGHUP);
            TestLibc.killSelf(Signals.SIGHUP);
            assertEquals(bit(Signals.SIGHUP), await(events, epoll, bit(Signals.SIGHUP)));
            events.unwatch(Signals.SIGHUP);
            assertEquals(SIG_IGN, TestLibc.sigaction(Signals.SIGHUP)[0], "ignored again once unwatched");
        } finally {
            Signal.handle(hup, jvmHandler);
        }
    }

    @Test
    void catchingChildSignalsDoesNotReapChildren() throws Throwable {
        events.watch(Signals.SIGCHLD);
        long[] action = TestLibc.sigaction(Signals.SIGCHLD);
        assertTrue(action[0] != SIG_DFL && action[0] != SIG_IGN, "a handler is installed");
        assertEquals(0, action[1] & TestLibc.SA_NOCLDWAIT, "SA_NOCLDWAIT would make the kernel reap children");

        int pid = TestLibc.spawn("/bin/true");
        try {
            // With SA_NOCLDWAIT this would wait for all children and then fail with ECHILD.
            TestLibc.awaitExitWithoutReaping(pid);
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            assertEquals('Z', stat.charAt(stat.lastIndexOf(')') + 2), "the exited child stays a zombie: " + stat);
            assertEquals(bit(Signals.SIGCHLD), await(events, epoll, bit(Signals.SIGCHLD)));
        } finally {
            assertEquals(0, TestLibc.reap(pid), "exit status 0");
        }
    }
}
