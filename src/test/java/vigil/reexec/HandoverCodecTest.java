package vigil.reexec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import vigil.os.ExitStatus;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceSnapshot.Phase;
import vigil.service.ServiceState;
import vigil.service.Want;

/** The re-exec state, through JSON and back: every field and every shape comes back the same. */
class HandoverCodecTest {
    private static final ServiceSnapshot UP = new ServiceSnapshot(new Phase.Up(4242, 123_456_789_012L, true),
            Want.UP, false, true, Duration.ofSeconds(4), 7, Optional.of(new ExitStatus(0, 9, true)));
    private static final ServiceSnapshot DOWN = new ServiceSnapshot(new Phase.Down(-5L), Want.DOWN, true, false,
            Duration.ofMillis(1500), 0, Optional.empty());
    private static final ServiceSnapshot BACKING_OFF = new ServiceSnapshot(new Phase.BackingOff(Long.MAX_VALUE),
            Want.UP, false, false, Duration.ofSeconds(60), 2_000_000, Optional.of(ExitStatus.exited(111)));

    private static Handover.Supervise supervise(int base) {
        return new Handover.Supervise("/etc/service/web/supervise", base, base + 1, -1,
                Instant.ofEpochSecond(1_800_000_000L, 999_999_999), 4242, ServiceState.Runit.RUN);
    }

    private static Handover sample() {
        // A partial line that is not valid UTF-8 and holds a NUL and a quote: carried byte for byte.
        byte[] partial = {'l', 'i', 'n', 'e', ' ', 0, (byte) 0xff, '"', '\\'};
        Handover.Pair withLogger = new Handover.Pair("web", "/etc/service/web", UP, Optional.of(DOWN),
                Optional.of(new Handover.PipeFds(20, 21)), new Handover.LogPipe(22, 23, partial),
                Optional.of(supervise(24)), Optional.of(supervise(26)));
        Handover.Pair lone = new Handover.Pair("db \"x\" ü", "/srv/db", BACKING_OFF, Optional.empty(),
                Optional.empty(), new Handover.LogPipe(30, 31, new byte[0]), Optional.empty(), Optional.empty());
        return new Handover(OptionalInt.of(5), Optional.of(new Handover.Reply(9, 17L)), List.of(withLogger, lone));
    }

    @Test
    void everyFieldComesBack() throws Exception {
        Handover h = sample();
        Handover back = HandoverCodec.decode(HandoverCodec.encode(h));
        assertEquals(h, back);
        assertArrayEquals(h.pairs().getFirst().log().partial(), back.pairs().getFirst().log().partial());
        assertEquals(h.fds(), back.fds());
    }

    @Test
    void aDaemonWithoutSocketNorRequestComesBackSo() throws Exception {
        Handover h = new Handover(OptionalInt.empty(), Optional.empty(), List.of());
        assertEquals(h, HandoverCodec.decode(HandoverCodec.encode(h)));
        Handover stringId = new Handover(OptionalInt.empty(), Optional.of(new Handover.Reply(3, "abc")), List.of());
        assertEquals(stringId, HandoverCodec.decode(HandoverCodec.encode(stringId)));
    }

    @Test
    void theFdsAreExactlyTheOnesNamed() {
        assertEquals(List.of(5, 9, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31), sample().fds());
    }

    @Test
    void anotherFormatIsRefusedWithItsVersion() {
        String other = HandoverCodec.encode(sample()).replace("\"version\":1", "\"version\":2");
        var e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(other));
        assertTrue(e.getMessage().contains("format 2"), e.getMessage());
    }

    @Test
    void aBrokenStateNamesWhatIsWrong() {
        String noPid = HandoverCodec.encode(sample()).replaceFirst("\"pid\":4242,", "");
        var e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(noPid));
        assertTrue(e.getMessage().contains("pid is missing"), e.getMessage());
        String negative = HandoverCodec.encode(sample()).replace("\"read\":22", "\"read\":-7");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(negative));
        assertTrue(e.getMessage().contains("read is out of range"), e.getMessage());
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode("{\"version\":1"));
        assertTrue(e.getMessage().startsWith("re-exec state: not JSON"), e.getMessage());
        String phase = HandoverCodec.encode(sample()).replace("\"backing-off\"", "\"sleeping\"");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(phase));
        assertTrue(e.getMessage().contains("unknown phase \"sleeping\""), e.getMessage());
    }

    @Test
    void theStateIsPlainJson() {
        String json = HandoverCodec.encode(sample());
        assertTrue(json.startsWith("{\"version\":1,"), json);
        assertEquals(json, new String(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }
}
