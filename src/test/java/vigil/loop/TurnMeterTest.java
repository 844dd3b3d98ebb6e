package vigil.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TurnMeterTest {
    @Test
    void eachTurnGoesToTheFirstBucketItFitsAndTheSumAddsUp() {
        TurnMeter meter = new TurnMeter();
        meter.record(5_000);          // 5 us: the first bucket (10 us)
        meter.record(10_000);         // exactly on a bound: that bucket
        meter.record(300_000);        // 300 us: the 500 us bucket
        meter.record(2_000_000_000L); // 2 s: +Inf
        TurnMeter.Reading r = meter.read();
        long[] expected = new long[TurnMeter.BOUNDS_SECONDS.length + 1];
        expected[0] = 2;
        expected[4] = 1;
        expected[expected.length - 1] = 1;
        assertArrayEquals(expected, r.counts());
        assertEquals(4, r.total());
        assertEquals(2.000315, r.sumSeconds(), 1e-9);
    }

    @Test
    void theLoopRecordsItsTurns() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            // A turn that schedules the stop, then one that runs it: the loop waits in between.
            loop.execute(() -> loop.schedule(java.time.Duration.ZERO, loop::stop));
            loop.run();
            // At least the first turn; the wait itself is never counted as one.
            assertTrue(loop.turns().read().total() >= 1);
        }
    }
}
