package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PrivateTableThreadTest {
    private final Optional<PrivateTableThread> started = PrivateTableThread.start("private-table-test", List.of());

    @AfterEach
    void stop() {
        started.ifPresent(PrivateTableThread::stop);
    }

    private PrivateTableThread thread() {
        assumeTrue(started.isPresent(), "no thread with a table of its own here (kernel before 6.9?)");
        return started.get();
    }

    @Test
    void whatACallThrowsReachesTheCallerAndTheThreadServesTheNext() throws Exception {
        PrivateTableThread thread = thread();
        OutOfMemoryError outOfMemory = new OutOfMemoryError("as if the heap ran out in the call");
        assertSame(outOfMemory, assertThrows(OutOfMemoryError.class, () -> thread.call(() -> {
            throw outOfMemory;
        })));
        OsException refused = new OsException("open", Errno.EACCES);
        assertSame(refused, assertThrows(OsException.class, () -> thread.call(() -> {
            throw refused;
        })));
        assertEquals("private-table-test", thread.call(() -> Thread.currentThread().getName()), "still serving");
    }

    @Test
    void callsFromManyThreadsEachGetTheirOwnResult() throws Exception {
        PrivateTableThread thread = thread();
        int callers = 4, calls = 200;
        var failures = new java.util.concurrent.ConcurrentLinkedQueue<String>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < calls; i++) {
                    int expected = caller * 1000 + i;
                    try {
                        int got = thread.call(() -> expected);
                        if (got != expected) failures.add(expected + " got " + got);
                    } catch (OsException e) {
                        failures.add(e.toString());
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(List.of(), List.copyOf(failures));
    }
}
