package vigil.log;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Prints a logger's TAI64N stamps ({@code svlogd -t}, multilog, s6-log) as Vigil's ISO stamps, as
 * {@code tai64nlocal} would in UTC: the lines of a logger's directory then read like Vigil's own. Other lines pass
 * as they are.
 */
public final class Tai64nDecoding extends FilterOutputStream {
    private static final int STAMP = 26;
    private final byte[] head = new byte[STAMP];
    private final byte[] iso = new byte[32];
    /** How many bytes of the current line's start are held in {@link #head}; -1 once the line is passed through. */
    private int held;

    public Tai64nDecoding(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (held < 0) {
            out.write(b);
            if (b == '\n') held = 0;
            return;
        }
        head[held++] = (byte) b;
        if (b == '\n' || held == STAMP || head[0] != '@') release();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    private void release() throws IOException {
        long time = held == STAMP && head[STAMP - 1] == ' ' ? Timestamps.parseTai64n(head, 1) : Timestamps.NONE;
        if (time != Timestamps.NONE) out.write(iso, 0, Timestamps.format(TimestampFormat.ISO, time, iso, 0));
        else out.write(head, 0, held);
        held = head[held - 1] == '\n' ? 0 : -1;
    }

    @Override
    public void flush() throws IOException {
        // A last line shorter than a stamp, with no newline: what is held is all there is for now.
        if (held > 0) release();
        out.flush();
    }
}
