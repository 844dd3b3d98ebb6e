package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {
    private static String format(TimestampFormat format, long nanos) {
        byte[] out = new byte[40];
        int width = Timestamps.format(format, nanos, out, 0);
        assertEquals(format.width(), width);
        return new String(out, 0, width, StandardCharsets.US_ASCII);
    }

    private static long parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return Timestamps.parse(bytes, 0, bytes.length);
    }

    @Test
    void tai64nIsTwoToTheSixtySecondPlusTenPlusUnixSeconds() {
        assertEquals("@400000000000000a00000000 ", format(TimestampFormat.TAI64N, 0));
        long nanos = 1_795_267_050_536_590_123L;
        long label = 0x4000000000000000L + 10 + 1_795_267_050L;
        String expected = "@" + String.format("%016x%08x", label, 536_590_123) + " ";
        assertEquals(expected, format(TimestampFormat.TAI64N, nanos));
        assertEquals(nanos, parse(expected));
    }

    @Test
    void isoMatchesJavaTimeForManyInstants() {
        DateTimeFormatter reference = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z' ")
                .withZone(ZoneOffset.UTC);
        SplittableRandom random = new SplittableRandom(4);
        long[] edges = {0, 951_782_400_000_000_000L /* 2000-02-29 */, 4_102_444_799_999_999_999L /* 2099-12-31 */};
        for (long nanos : edges) check(reference, nanos);
        for (int i = 0; i < 20_000; i++) check(reference, random.nextLong(0, 4_102_444_800_000_000_000L));
    }

    private static void check(DateTimeFormatter reference, long nanos) {
        Instant instant = Instant.ofEpochSecond(0, nanos);
        String iso = format(TimestampFormat.ISO, nanos);
        assertEquals(reference.format(instant), iso);
        assertEquals(nanos / 1000 * 1000, parse(iso), iso);
        assertEquals(nanos, parse(format(TimestampFormat.TAI64N, nanos)));
    }

    @Test
    void readsSvlogdStampsAndOffsets() {
        long expected = Instant.parse("2026-11-21T13:17:30.53659Z").toEpochMilli() * 1_000_000 + 590_000;
        assertEquals(expected, parse("2026-11-21_13:17:30.53659 line"));
        assertEquals(expected, parse("2026-11-21T13:17:30.53659 line"));
        assertEquals(expected - 3_600_000_000_000L, parse("2026-11-21T13:17:30.53659+01:00 line"));
        assertEquals(Timestamps.NONE, parse("hello world, no stamp here"));
        assertEquals(Timestamps.NONE, parse("2026-13-21T13:17:30Z"));
        assertEquals(Timestamps.NONE, parse("@40000000zz00000a00000000 x"));
        assertEquals(TimestampFormat.ISO, TimestampFormat.parse("ISO"));
    }
}
