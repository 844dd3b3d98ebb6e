package vigil.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

class ReportLimiterTest {
    private static final Duration INTERVAL = Duration.ofSeconds(10);

    /** Time that moves only when the test says, running what falls due on the way. */
    private final class ManualClock implements ReportLimiter.Scheduler {
        long now;
        final PriorityQueue<long[]> due = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public void schedule(Duration delay, Runnable task) {
            tasks.add(task);
            due.add(new long[] {now + delay.toNanos(), tasks.size() - 1});
        }

        void advance(Duration by) {
            long target = now + by.toNanos();
            while (!due.isEmpty() && due.peek()[0] <= target) {
                long[] next = due.poll();
                now = next[0];
                tasks.get((int) next[1]).run();
            }
            now = target;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final List<String> lines = new ArrayList<>();
    private final ReportLimiter limiter = new ReportLimiter(INTERVAL, 2, clock,
            (key, unsaid, interval) -> lines.add(key + ": " + unsaid + " more in " + interval.toSeconds() + " s"));

    private void complain(String key, int times) {
        for (int i = 0; i < times; i++) if (limiter.allow(key)) lines.add(key + ": said");
    }

    @Test
    void aFloodIsTheFirstFewThenOneCount() {
        complain("web", 50_000);
        assertEquals(List.of("web: said", "web: said"), lines);
        clock.advance(INTERVAL);
        assertEquals(List.of("web: said", "web: said", "web: 49998 more in 10 s"), lines);
    }

    @Test
    void aSteadyFloodCostsAFewLinesPerInterval() {
        for (int second = 0; second < 60; second++) {
            complain("web", 1000);
            clock.advance(Duration.ofSeconds(1));
        }
        assertEquals(6 * 3, lines.size(), String.join("\n", lines));
    }

    @Test
    void keysAreCountedApart() {
        complain("web", 5);
        complain("db", 1);
        clock.advance(INTERVAL);
        assertEquals(List.of("web: said", "web: said", "db: said", "web: 3 more in 10 s"), lines);
    }

    @Test
    void aQuietIntervalSaysNothingMoreAndTheNextComplaintIsSaidAgain() {
        complain("web", 1);
        clock.advance(INTERVAL);
        assertEquals(List.of("web: said"), lines);
        clock.advance(INTERVAL.multipliedBy(5));
        complain("web", 1);
        assertEquals(List.of("web: said", "web: said"), lines);
    }
}
