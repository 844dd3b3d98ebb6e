package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 5 * SECOND;

    @Test
    void aFullBucketGivesItsBurstAtOnceThenSaysHowLongToWait() {
        TokenBucket bucket = new TokenBucket(10, 3, T0);
        for (int i = 0; i < 3; i++) assertEquals(0, bucket.take(T0), "token " + i);
        assertEquals(SECOND / 10, bucket.take(T0));
        assertEquals(SECOND / 10, bucket.take(T0), "a refused take costs nothing");
    }

    @Test
    void tokensComeBackAtTheRate() {
        TokenBucket bucket = new TokenBucket(10, 1, T0);
        assertEquals(0, bucket.take(T0));
        assertEquals(SECOND / 10 - SECOND / 40, bucket.take(T0 + SECOND / 40));
        assertEquals(0, bucket.take(T0 + SECOND / 10));
        assertTrue(bucket.take(T0 + SECOND / 10) > 0);
    }

    @Test
    void aSustainedFloodGetsTheRateAndNoMore() {
        TokenBucket bucket = new TokenBucket(50, 100, T0);
        int granted = 0;
        // A request every millisecond for 10 s: the burst, then 50 a second.
        for (long t = T0; t < T0 + 10 * SECOND; t += SECOND / 1000) if (bucket.take(t) == 0) granted++;
        assertEquals(100 + 50 * 10, granted, 1);
    }

    @Test
    void anIdleBucketFillsUpToItsBurstOnly() {
        TokenBucket bucket = new TokenBucket(10, 2, T0);
        bucket.take(T0);
        bucket.take(T0);
        assertFalse(bucket.isFull(T0));
        long later = T0 + 3600 * SECOND;
        assertTrue(bucket.isFull(later));
        assertEquals(0, bucket.take(later));
        assertEquals(0, bucket.take(later));
        assertTrue(bucket.take(later) > 0, "an hour idle is still a burst of 2");
    }
}
