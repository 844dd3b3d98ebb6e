package vigil.supervise;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The supervise writer's work, held back while services are starting: from the spawn of a {@code run} until its
 * exec is done.
 *
 * <p>A brand-new {@code supervise/} costs the file system six inode allocations, and on a busy ext4 each can take
 * a fraction of a millisecond in the kernel, where nice values and even SCHED_IDLE barely hold the thread back.
 * Written beside a tree's bring-up, the directories of 1000 new services doubled it (about 3.9 s against 1.5-1.9 s
 * without them, bench/run's workload); written after, they cost the services nothing. A restart gains likewise:
 * its {@code status} is written once the new process runs, not during its exec.
 *
 * <p>A start that never ends (a {@code control/u} that hangs before the exec) must not stop every other service's
 * files from being written: work is held back only until no start has begun or ended for {@code maxHoldNanos}.
 * Thread-safe: the loop adds work and reports starts, the writer takes.
 */
final class WriteQueue<T> {
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final LongSupplier nanoTime;
    private final long maxHoldNanos;
    /** Services spawned whose exec is not done yet. */
    private int starting;
    private long lastStartChange;
    /** What the writer waits for, if it waits: a wake-up costs a context switch, so only a waiting writer gets one. */
    private boolean writerWaitsForWork, writerWaitsForStarts;
    /** Closing: nothing is held back any more. */
    private boolean draining;

    WriteQueue(LongSupplier nanoTime, long maxHoldNanos) {
        this.nanoTime = nanoTime;
        this.maxHoldNanos = maxHoldNanos;
    }

    synchronized void add(T item) {
        items.add(item);
        // Even while starts hold the work back: the writer must time the longest hold.
        if (writerWaitsForWork) notifyAll();
    }

    synchronized void startBegan() {
        starting++;
        lastStartChange = nanoTime.getAsLong();
    }

    synchronized void startEnded() {
        if (starting == 0) throw new IllegalStateException("no start was under way");
        starting--;
        lastStartChange = nanoTime.getAsLong();
        if (starting == 0 && writerWaitsForStarts) notifyAll();
    }

    synchronized boolean isEmpty() {
        return items.isEmpty();
    }

    /** From now on no start holds work back: the writer is to finish what is queued and stop. */
    synchronized void drain() {
        draining = true;
        notifyAll();
    }

    /** The next item if the writer may have it now, else null. */
    synchronized T poll() {
        return holdNanos() == 0 ? items.poll() : null;
    }

    /** The next item, once there is one and starts no longer hold it back. */
    synchronized T take() throws InterruptedException {
        while (true) {
            long hold = holdNanos();
            if (hold == 0) return items.poll();
            try {
                if (hold < 0) {
                    writerWaitsForWork = true;
                    wait();
                } else {
                    writerWaitsForStarts = true;
                    TimeUnit.NANOSECONDS.timedWait(this, hold);
                }
            } finally {
                writerWaitsForWork = false;
                writerWaitsForStarts = false;
            }
        }
    }

    /** 0: an item may be taken now; above 0: how much longer starts hold it back; below 0: there is none. */
    synchronized long holdNanos() {
        if (items.isEmpty()) return -1;
        if (starting == 0 || draining) return 0;
        return Math.max(0, lastStartChange + maxHoldNanos - nanoTime.getAsLong());
    }
}
