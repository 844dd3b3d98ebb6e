package vigil.reexec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import vigil.model.Credentials;
import vigil.model.RestartPolicy;
import vigil.os.ExitStatus;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceSnapshot.Phase;
import vigil.service.ServiceState;
import vigil.service.UnitSnapshot;
import vigil.service.UnitState;
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
        Handover.Unit running = new Handover.Unit("web.service", RUNNING_UNIT,
                new Handover.LogPipe(40, 41, new byte[] {'h', 'a', 'l', 'f'}), OptionalInt.of(42));
        Handover.Unit restarting = new Handover.Unit("db@1.service", RESTARTING_UNIT,
                new Handover.LogPipe(43, 44, new byte[0]), OptionalInt.empty());
        Handover.Transient job = new Handover.Transient("job", 65534, "/bin/sleep", List.of("sleep", "1000"),
                "/tmp/work dir", Map.of("GREETING", "hi \"there\"", "EMPTY", ""),
                Optional.of(new Credentials(65534, 65534, List.of(65534, 100))), RestartPolicy.When.ON_FAILURE);
        Handover.Transient asDaemon = new Handover.Transient("plain", 0, "/usr/bin/env", List.of("env"), "/",
                Map.of(), Optional.empty(), RestartPolicy.When.NEVER);
        return new Handover(OptionalInt.of(5), Optional.of(new Handover.Reply(9, 17L)), List.of(withLogger, lone),
                List.of(running, restarting), List.of(job, asDaemon),
                List.of(new Handover.Socket("web.socket", List.of(50, 51), true, 12),
                        new Handover.Socket("idle.socket", List.of(52), false, 0)),
                List.of(new Handover.StoredFd("web.service", 60, "conn")));
    }

    /** Running with a main pid adopted from MAINPID=, and every optional field set. */
    private static final UnitSnapshot RUNNING_UNIT = new UnitSnapshot(UnitState.RUNNING, 987_654_321L,
            UnitState.Result.SUCCESS, UnitState.Result.TIMEOUT, Want.UP,
            Optional.of(new UnitSnapshot.Main(31337, 1_234_567_890_123L)), 31330,
            Optional.of(new ExitStatus(0, 15, false)), Optional.of(ExitStatus.exited(3)), 4,
            List.of(-10L, 20L, Long.MAX_VALUE), "serving \"3\" clients\n", OptionalInt.of(11), 0);
    /** Waiting for its restart, with no process and no optional field. */
    private static final UnitSnapshot RESTARTING_UNIT = new UnitSnapshot(UnitState.AUTO_RESTART, -1L,
            UnitState.Result.EXIT_CODE, UnitState.Result.SUCCESS, Want.UP, Optional.empty(), 0, Optional.empty(),
            Optional.empty(), 0, List.of(), "", OptionalInt.empty(), 555_000_000_000L);

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
        Handover h = new Handover(OptionalInt.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of(),
                List.of());
        assertEquals(h, HandoverCodec.decode(HandoverCodec.encode(h)));
        Handover stringId = new Handover(OptionalInt.empty(), Optional.of(new Handover.Reply(3, "abc")), List.of(),
                List.of(), List.of(), List.of(), List.of());
        assertEquals(stringId, HandoverCodec.decode(HandoverCodec.encode(stringId)));
    }

    @Test
    void theFdsAreExactlyTheOnesNamed() {
        assertEquals(List.of(5, 9, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 40, 41, 42, 43, 44, 50, 51, 52, 60),
                sample().fds());
    }

    @Test
    void theFormatBeforeSocketsReadsAsNoneHandedOver() throws Exception {
        Handover h = sample();
        String old = HandoverCodec.encode(h).replace("\"version\":3", "\"version\":2");
        Handover back = HandoverCodec.decode(old);
        assertEquals(List.of(), back.sockets());
        assertEquals(List.of(), back.fdStore());
        assertEquals(h.units(), back.units());
    }

    @Test
    void anotherFormatIsRefusedWithItsVersion() {
        String other = HandoverCodec.encode(sample()).replace("\"version\":3", "\"version\":1");
        var e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(other));
        assertTrue(e.getMessage().contains("format 1"), e.getMessage());
    }

    @Test
    void aBrokenStateNamesWhatIsWrong() {
        String noPid = HandoverCodec.encode(sample()).replaceFirst("\"pid\":4242,", "");
        var e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(noPid));
        assertTrue(e.getMessage().contains("pid is missing"), e.getMessage());
        String negative = HandoverCodec.encode(sample()).replace("\"read\":22", "\"read\":-7");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(negative));
        assertTrue(e.getMessage().contains("read is out of range"), e.getMessage());
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode("{\"version\":2"));
        assertTrue(e.getMessage().startsWith("re-exec state: not JSON"), e.getMessage());
        String phase = HandoverCodec.encode(sample()).replace("\"backing-off\"", "\"sleeping\"");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(phase));
        assertTrue(e.getMessage().contains("unknown phase \"sleeping\""), e.getMessage());
        String unitState = HandoverCodec.encode(sample()).replace("\"AUTO_RESTART\"", "\"NAPPING\"");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(unitState));
        assertTrue(e.getMessage().contains("state \"NAPPING\" is unknown"), e.getMessage());
        String noTicks = HandoverCodec.encode(sample()).replace("\"start_ticks\":1234567890123", "\"x\":1");
        e = assertThrows(HandoverCodec.MalformedException.class, () -> HandoverCodec.decode(noTicks));
        assertTrue(e.getMessage().contains("start_ticks is missing"), e.getMessage());
    }

    @Test
    void theStateIsPlainJson() {
        String json = HandoverCodec.encode(sample());
        assertTrue(json.startsWith("{\"version\":3,"), json);
        assertEquals(json, new String(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }
}
