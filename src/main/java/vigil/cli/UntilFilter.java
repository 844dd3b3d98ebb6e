package vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import vigil.log.Timestamps;

/**
 * {@code --until}: passes a log's lines through up to the first one stamped after the limit, and drops the rest.
 * Lines are in time order, so the first later one ends what is printed; an unstamped line goes with the lines
 * before it.
 */
final class UntilFilter extends FilterOutputStream {
    private final long until;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean past;

    /** @param until nanoseconds since the epoch */
    UntilFilter(OutputStream out, long until) {
        super(out);
        this.until = until;
    }

    @Override
    public void write(int b) throws IOException {
        if (past) return;
        line.write(b);
        if (b == '\n') endLine();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len && !past; i++) write(b[i]);
    }

    private void endLine() throws IOException {
        byte[] bytes = line.toByteArray();
        line.reset();
        long time = Timestamps.parse(bytes, 0, bytes.length);
        if (time != Timestamps.NONE && time > until) {
            past = true;
            return;
        }
        out.write(bytes);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
