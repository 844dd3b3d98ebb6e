package vigil.supervise;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * runit's human-readable {@code supervise/stat}: {@code down}, {@code run} or {@code finish}, then
 * {@code , paused}, then {@code , got TERM}, then (unless down) {@code , want down} or {@code , want exit}, then a
 * newline. Want up is not mentioned.
 */
public final class StatFile {
    private StatFile() {}

    /** The longest text: "finish, paused, got TERM, want down\n". */
    static final int MAX_SIZE = 40;

    private static final byte[] DOWN = ascii("down"), RUN = ascii("run"), FINISH = ascii("finish"),
            PAUSED = ascii(", paused"), GOT_TERM = ascii(", got TERM"), WANT_DOWN = ascii(", want down"),
            WANT_EXIT = ascii(", want exit");

    /** The file's text for the state. */
    public static String text(SuperviseState s) {
        byte[] bytes = new byte[MAX_SIZE];
        int length = encode(s, MemorySegment.ofArray(bytes));
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }

    /** Writes the text to the start of {@code out}, allocating nothing; returns its length. */
    static int encode(SuperviseState s, MemorySegment out) {
        int at = put(out, 0, switch (s.state()) {
            case DOWN -> DOWN;
            case RUN -> RUN;
            case FINISH -> FINISH;
        });
        if (s.paused()) at = put(out, at, PAUSED);
        if (s.gotTerm()) at = put(out, at, GOT_TERM);
        if (s.state() != SuperviseState.RunState.DOWN) {
            if (s.want() == SuperviseState.Want.DOWN) at = put(out, at, WANT_DOWN);
            if (s.want() == SuperviseState.Want.EXIT) at = put(out, at, WANT_EXIT);
        }
        out.set(ValueLayout.JAVA_BYTE, at, (byte) '\n');
        return at + 1;
    }

    private static int put(MemorySegment out, int at, byte[] text) {
        MemorySegment.copy(text, 0, out, ValueLayout.JAVA_BYTE, at, text.length);
        return at + text.length;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
