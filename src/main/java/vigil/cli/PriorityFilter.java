package vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import vigil.log.Timestamps;

/**
 * {@code -p}: passes the lines whose syslog severity lies in a range, as journalctl's {@code -p err} (err and more
 * urgent) or {@code -p warning..err}. A line's priority is kept as syslog's {@code <PRI>} right after its stamp
 * ({@code 2026-11-21T13:17:30.536590Z <35>sshd: ...}: facility and severity, as received); a line without one
 * (a service's stdout) counts as info, as journalctl counts it.
 */
final class PriorityFilter extends FilterOutputStream {
    /** journalctl's names, by severity. */
    static final List<String> NAMES = List.of("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug");
    private static final int INFO = 6;

    private final int mostUrgent;
    private final int leastUrgent;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

    /** Lines of severity {@code mostUrgent} (a smaller number) to {@code leastUrgent}. */
    PriorityFilter(OutputStream out, int mostUrgent, int leastUrgent) {
        super(out);
        this.mostUrgent = mostUrgent;
        this.leastUrgent = leastUrgent;
    }

    /** A filter for journalctl's {@code -p} value: a name or digit, or a range {@code FROM..TO} of them. */
    static PriorityFilter parse(OutputStream out, String value) {
        int dots = value.indexOf("..");
        if (dots < 0) return new PriorityFilter(out, 0, severity(value));
        int a = severity(value.substring(0, dots)), b = severity(value.substring(dots + 2));
        return new PriorityFilter(out, Math.min(a, b), Math.max(a, b));
    }

    private static int severity(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.length() == 1 && lower.charAt(0) >= '0' && lower.charAt(0) <= '7') return lower.charAt(0) - '0';
        int index = NAMES.indexOf(lower.equals("error") ? "err" : lower.equals("warn") ? "warning" : lower);
        if (index < 0) {
            throw new CommandLine.TypeConversionException("'" + name + "' is not a priority: want one of "
                    + String.join(", ", NAMES) + ", 0-7, or a range such as warning..err");
        }
        return index;
    }

    /** The severity of a stored line: its {@code <PRI>} after the stamp, or info. */
    static int severityOf(byte[] bytes, int length) {
        int at = 0;
        if (Timestamps.parse(bytes, 0, Math.min(length, 64)) != Timestamps.NONE) {
            while (at < length && bytes[at] != ' ') at++;
            at++;
        }
        if (at >= length || bytes[at] != '<') return INFO;
        int pri = 0;
        int i = at + 1;
        for (; i < length && i < at + 5 && bytes[i] >= '0' && bytes[i] <= '9'; i++) pri = pri * 10 + bytes[i] - '0';
        return i > at + 1 && i < length && bytes[i] == '>' && pri <= 191 ? pri & 7 : INFO;
    }

    @Override
    public void write(int b) throws IOException {
        line.write(b);
        if (b == '\n') endLine();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    private void endLine() throws IOException {
        byte[] bytes = line.toByteArray();
        line.reset();
        int severity = severityOf(bytes, bytes.length);
        if (severity >= mostUrgent && severity <= leastUrgent) out.write(bytes);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
