package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimeSpanTest {
    private static long micros(String text) throws InvalidValueException {
        return TimeSpan.parse(text).micros();
    }

    @Test
    void bareNumbersAreSeconds() throws InvalidValueException {
        assertEquals(90_000_000, micros("90"));
        assertEquals(500_000, micros("0.5"));
        assertEquals(0, micros("0"));
    }

    @Test
    void partsAddUpWithOrWithoutBlanks() throws InvalidValueException {
        assertEquals(90_000_000, micros("1min 30s"));
        assertEquals(90_000_000, micros("1min30s"));
        assertEquals(90_000_000, micros(" 1 min 30 "));
        assertEquals(Duration.ofMillis(1500), TimeSpan.parse("1s 500ms").toDuration());
    }

    @Test
    void everyUnit() throws InvalidValueException {
        assertEquals(1, micros("1us"));
        assertEquals(1, micros("1usec"));
        assertEquals(1, micros("1µs"));
        assertEquals(1_000, micros("1ms"));
        assertEquals(1_000, micros("1msec"));
        assertEquals(1_000_000, micros("1s"));
        assertEquals(1_000_000, micros("1sec"));
        assertEquals(2_000_000, micros("2seconds"));
        assertEquals(60_000_000, micros("1m"));
        assertEquals(60_000_000, micros("1min"));
        assertEquals(120_000_000, micros("2minutes"));
        assertEquals(3_600_000_000L, micros("1h"));
        assertEquals(3_600_000_000L, micros("1hr"));
        assertEquals(86_400_000_000L, micros("1d"));
        assertEquals(7 * 86_400_000_000L, micros("1w"));
        assertEquals(2_629_800_000_000L, micros("1M"));
        assertEquals(31_557_600_000_000L, micros("1y"));
        assertEquals(1_500_000, micros("1.5s"));
    }

    @Test
    void infinity() throws InvalidValueException {
        assertTrue(TimeSpan.parse("infinity").isInfinite());
        assertTrue(TimeSpan.parse(" infinity ").isInfinite());
        assertEquals("infinity", TimeSpan.INFINITY.toString());
    }

    @Test
    void malformedSpansAreErrors() {
        for (String bad : new String[] {"", "-1", "5x", "1.2.3", "infinity 5", "min", "1 2x", "."}) {
            assertThrows(InvalidValueException.class, () -> TimeSpan.parse(bad), bad);
        }
    }

    @Test
    void defaultUnitCanBeMicroseconds() throws InvalidValueException {
        assertEquals(250, TimeSpan.parse("250", 1).micros());
        assertEquals(2_000_000, TimeSpan.parse("2s", 1).micros());
    }

    @Test
    void printsAsSystemdDoes() throws InvalidValueException {
        assertEquals("1min 30s", TimeSpan.parse("90").toString());
        assertEquals("100ms", TimeSpan.ofMillis(100).toString());
    }
}
