package vigil.supervise;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * runit 2.1.2's 20-byte {@code supervise/status}, the file {@code sv} and daemontools' {@code svstat} read.
 *
 * <pre>
 *  0-7   TAI64 seconds, big-endian (2^62 + 10 + unix seconds)
 *  8-11  nanoseconds, big-endian
 * 12-15  pid, little-endian
 * 16     paused (0/1)
 * 17     want: 'u' up, 'd' down or exit
 * 18     got TERM (0/1)
 * 19     state: 0 down, 1 run, 2 finish
 * </pre>
 *
 * The mixed byte order is runit's: taia_pack is big-endian, the pid is stored a byte at a time, low byte first.
 */
public final class StatusFile {
    private StatusFile() {}

    public static final int SIZE = 20;

    /** TAI64's label for 1970-01-01 00:00:10 TAI: 2^62 + 10, the offset runit (like libtai) adds. */
    static final long TAI64_UNIX_EPOCH = 0x400000000000000AL;

    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The 20 bytes for the state. */
    public static byte[] encode(SuperviseState s) {
        byte[] bytes = new byte[SIZE];
        encode(s, MemorySegment.ofArray(bytes));
        return bytes;
    }

    /** Writes the 20 bytes to the start of {@code out}, allocating nothing. */
    static void encode(SuperviseState s, MemorySegment out) {
        out.set(LONG_BE, 0, TAI64_UNIX_EPOCH + s.stamp().getEpochSecond());
        out.set(INT_BE, 8, s.stamp().getNano());
        out.set(INT_LE, 12, s.pid());
        out.set(ValueLayout.JAVA_BYTE, 16, (byte) (s.paused() ? 1 : 0));
        out.set(ValueLayout.JAVA_BYTE, 17, (byte) (s.want() == SuperviseState.Want.UP ? 'u' : 'd'));
        out.set(ValueLayout.JAVA_BYTE, 18, (byte) (s.gotTerm() ? 1 : 0));
        out.set(ValueLayout.JAVA_BYTE, 19, (byte) s.state().code());
    }

    /**
     * Reads a status file. Want-exit cannot be told from want-down here, so it comes back as {@code DOWN}.
     *
     * @throws IllegalArgumentException if it is not 20 bytes, or its state or want byte is unknown
     */
    public static SuperviseState decode(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("a status file is " + SIZE + " bytes, not " + bytes.length);
        }
        MemorySegment in = MemorySegment.ofArray(bytes);
        Instant stamp = Instant.ofEpochSecond(in.get(LONG_BE, 0) - TAI64_UNIX_EPOCH,
                Integer.toUnsignedLong(in.get(INT_BE, 8)));
        int pid = in.get(INT_LE, 12);
        SuperviseState.Want want = switch (bytes[17]) {
            case 'u' -> SuperviseState.Want.UP;
            case 'd' -> SuperviseState.Want.DOWN;
            default -> throw new IllegalArgumentException("unknown want byte " + bytes[17]);
        };
        var states = SuperviseState.RunState.values();
        if (bytes[19] < 0 || bytes[19] >= states.length) {
            throw new IllegalArgumentException("unknown state byte " + bytes[19]);
        }
        return new SuperviseState(states[bytes[19]], pid, want, bytes[16] != 0, bytes[18] != 0, stamp);
    }
}
