package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import vigil.supervise.SuperviseState.RunState;
import vigil.supervise.SuperviseState.Want;

class StatusFileTest {
    /** Seen in a real runit status file while its service ran (supervise-protocol.md §1.3). */
    private static final byte[] OBSERVED = HexFormat.of().parseHex("400000006b018fd23245aac48012000000750001");
    /** 0x6b018fd2 TAI64 seconds less the 2^62 + 10 label. */
    private static final Instant OBSERVED_STAMP = Instant.ofEpochSecond(0x6b018fd2L - 10, 0x3245aac4L);

    @Test
    void encodesTheObservedRunitFileByteForByte() {
        var state = new SuperviseState(RunState.RUN, 4736, Want.UP, false, false, OBSERVED_STAMP);
        assertArrayEquals(OBSERVED, StatusFile.encode(state));
    }

    @Test
    void decodesTheObservedRunitFile() {
        assertEquals(new SuperviseState(RunState.RUN, 4736, Want.UP, false, false, OBSERVED_STAMP),
                StatusFile.decode(OBSERVED));
    }

    @Test
    void everyFieldHasItsByte() {
        var stamp = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);
        var state = new SuperviseState(RunState.FINISH, 0x01020304, Want.DOWN, true, true, stamp);
        byte[] bytes = StatusFile.encode(state);
        assertEquals(20, bytes.length);
        // 2^62 + 10 + 1700000000 = 0x400000006553f10a, big-endian.
        assertEquals("400000006553f10a", HexFormat.of().formatHex(bytes, 0, 8));
        assertEquals("075bcd15", HexFormat.of().formatHex(bytes, 8, 12));
        assertEquals("04030201", HexFormat.of().formatHex(bytes, 12, 16));
        assertEquals(1, bytes[16]);
        assertEquals('d', bytes[17]);
        assertEquals(1, bytes[18]);
        assertEquals(2, bytes[19]);
        assertEquals(state, StatusFile.decode(bytes));
    }

    @Test
    void wantExitIsWrittenAsDown() {
        var stamp = Instant.ofEpochSecond(5);
        byte[] bytes = StatusFile.encode(new SuperviseState(RunState.RUN, 9, Want.EXIT, false, false, stamp));
        assertEquals('d', bytes[17]);
        assertEquals(Want.DOWN, StatusFile.decode(bytes).want());
    }

    @Test
    void downStateHasZeroes() {
        var state = new SuperviseState(RunState.DOWN, 0, Want.UP, false, false, Instant.ofEpochSecond(0));
        assertEquals("400000000000000a" + "00000000" + "00000000" + "00750000",
                HexFormat.of().formatHex(StatusFile.encode(state)));
    }

    @Test
    void rejectsOtherFormats() {
        assertThrows(IllegalArgumentException.class, () -> StatusFile.decode(new byte[18]));
        byte[] badState = OBSERVED.clone();
        badState[19] = 3;
        assertThrows(IllegalArgumentException.class, () -> StatusFile.decode(badState));
        byte[] badWant = OBSERVED.clone();
        badWant[17] = 0;
        assertThrows(IllegalArgumentException.class, () -> StatusFile.decode(badWant));
    }

    @Test
    void statTextFollowsRunsv() {
        var t = Instant.EPOCH;
        assertEquals("run\n", StatFile.text(new SuperviseState(RunState.RUN, 1, Want.UP, false, false, t)));
        assertEquals("down\n", StatFile.text(new SuperviseState(RunState.DOWN, 0, Want.DOWN, false, false, t)));
        assertEquals("down, paused\n",
                StatFile.text(new SuperviseState(RunState.DOWN, 0, Want.EXIT, true, false, t)));
        assertEquals("run, want down\n",
                StatFile.text(new SuperviseState(RunState.RUN, 1, Want.DOWN, false, false, t)));
        assertEquals("run, got TERM, want exit\n",
                StatFile.text(new SuperviseState(RunState.RUN, 1, Want.EXIT, false, true, t)));
        assertEquals("finish, paused, got TERM, want down\n",
                StatFile.text(new SuperviseState(RunState.FINISH, 1, Want.DOWN, true, true, t)));
        assertEquals("finish\n", StatFile.text(new SuperviseState(RunState.FINISH, 1, Want.UP, false, false, t)));
    }
}
