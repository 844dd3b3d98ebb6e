package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WriteQueueTest {
    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final WriteQueue<String> queue = new WriteQueue<>(now::get, SECOND);

    @Test
    void withNoStartUnderWayWorkIsTakenAtOnce() {
        assertEquals(-1, queue.holdNanos(), "nothing to take yet");
        queue.add("s1");
        assertEquals(0, queue.holdNanos());
    }

    @Test
    void aStartHoldsWorkBackUntilItEnds() {
        queue.startBegan();
        queue.add("s1");
        now.addAndGet(SECOND / 4);
        assertEquals(SECOND * 3 / 4, queue.holdNanos());
        queue.startEnded();
        assertEquals(0, queue.holdNanos());
    }

    @Test
    void everyStartMustEndBeforeWorkIsTaken() {
        queue.startBegan();
        queue.startBegan();
        queue.add("s1");
        queue.startEnded();
        assertTrue(queue.holdNanos() > 0, "one start is still under way");
        queue.startEnded();
        assertEquals(0, queue.holdNanos());
    }

    @Test
    void aBurstOfStartsKeepsHoldingAsLongAsStartsComeAndGo() {
        queue.add("s1");
        for (int i = 0; i < 10; i++) {
            queue.startBegan();
            now.addAndGet(SECOND / 2);
            queue.startBegan();
            queue.startEnded();
            assertEquals(SECOND, queue.holdNanos(), "held a full second from the last change, at " + i);
        }
    }

    @Test
    void aStartThatNeverEndsHoldsWorkBackForAtMostTheLongestHold() {
        queue.add("s1");
        queue.startBegan();
        now.addAndGet(SECOND - 1);
        assertEquals(1, queue.holdNanos());
        now.addAndGet(1);
        assertEquals(0, queue.holdNanos());
    }

    @Test
    void pollGivesWhatMayBeTakenNowAndNothingElse() {
        assertNull(queue.poll(), "empty");
        queue.startBegan();
        queue.add("s1");
        assertNull(queue.poll(), "held back by the start");
        queue.startEnded();
        assertEquals("s1", queue.poll());
        assertNull(queue.poll());
    }

    @Test
    void drainingReleasesEveryHold() {
        queue.startBegan();
        queue.add("s1");
        queue.drain();
        assertEquals(0, queue.holdNanos());
        assertEquals("s1", queue.poll());
    }

    @Test
    void endingAStartThatNeverBeganIsABug() {
        assertThrows(IllegalStateException.class, queue::startEnded);
    }

    @Test
    void theWriterWaitsWhileAStartIsUnderWayAndTakesTheWorkWhenItEnds() throws Exception {
        WriteQueue<String> real = new WriteQueue<>(System::nanoTime, TimeUnit.MINUTES.toNanos(1));
        real.startBegan();
        real.add("s1");
        CompletableFuture<String> taken = new CompletableFuture<>();
        Thread writer = takeOnAThread(real, taken);
        try {
            awaitState(writer, Thread.State.TIMED_WAITING);
            assertFalse(taken.isDone(), "taken while the start was under way");
            real.startEnded();
            assertEquals("s1", taken.get(10, TimeUnit.SECONDS));
        } finally {
            writer.interrupt();
            writer.join();
        }
    }

    @Test
    void anIdleWriterIsWokenByNewWork() throws Exception {
        WriteQueue<String> real = new WriteQueue<>(System::nanoTime, SECOND);
        CompletableFuture<String> taken = new CompletableFuture<>();
        Thread writer = takeOnAThread(real, taken);
        try {
            awaitState(writer, Thread.State.WAITING);
            real.add("s1");
            assertEquals("s1", taken.get(10, TimeUnit.SECONDS));
            assertTrue(real.isEmpty());
        } finally {
            writer.interrupt();
            writer.join();
        }
    }

    @Test
    void aWriterHeldBackByAStartThatNeverEndsTakesTheWorkAfterTheLongestHold() throws Exception {
        long maxHold = TimeUnit.MILLISECONDS.toNanos(50);
        WriteQueue<String> real = new WriteQueue<>(System::nanoTime, maxHold);
        // Read before the start begins: the hold is timed from startBegan, a moment later.
        long began = System.nanoTime();
        real.startBegan();
        real.add("s1");
        assertEquals("s1", real.take());
        assertTrue(System.nanoTime() - began >= maxHold, "taken before the longest hold was over");
        assertEquals(-1, real.holdNanos(), "nothing left");
    }

    /** The writer: takes one item from {@code queue} on a thread of its own. */
    private static Thread takeOnAThread(WriteQueue<String> queue, CompletableFuture<String> taken) {
        return Thread.ofPlatform().start(() -> {
            try {
                taken.complete(queue.take());
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        });
    }

    private static void awaitState(Thread thread, Thread.State state) throws TimeoutException, ExecutionException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != state) {
            if (!thread.isAlive()) throw new ExecutionException(new IllegalStateException("writer ended"));
            if (System.nanoTime() > deadline) throw new TimeoutException(thread + " never reached " + state);
            Thread.onSpinWait();
        }
    }
}
