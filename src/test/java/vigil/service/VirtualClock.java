package vigil.service;

import java.time.Duration;
import java.util.PriorityQueue;

/** A clock that moves only when a test advances it, running due timers in deadline order. */
public final class VirtualClock implements Clock {
    private long now = 1_000_000_000L;
    private long sequence;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();

    private final class Scheduled implements Comparable<Scheduled>, Timer {
        final long deadline;
        final long order = sequence++;
        final Runnable task;
        boolean cancelled;

        Scheduled(long deadline, Runnable task) {
            this.deadline = deadline;
            this.task = task;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Scheduled o) {
            return deadline != o.deadline ? Long.compare(deadline, o.deadline) : Long.compare(order, o.order);
        }
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Timer schedule(Duration delay, Runnable task) {
        Scheduled s = new Scheduled(now + delay.toNanos(), task);
        queue.add(s);
        return s;
    }

    /** Moves time forward, running every timer that falls due on the way, each at its own deadline. */
    public void advance(Duration by) {
        long target = now + by.toNanos();
        while (!queue.isEmpty() && queue.peek().deadline <= target) {
            Scheduled next = queue.poll();
            if (next.cancelled) continue;
            now = next.deadline;
            next.task.run();
        }
        now = target;
    }

    /** Timers not yet fired nor cancelled. */
    public long pendingTimers() {
        return queue.stream().filter(s -> !s.cancelled).count();
    }
}
