package vigil.unit;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a unit file into logical lines, as systemd's config parser does (systemd.syntax(7)):
 * <ul>
 *   <li>a line whose first non-blank character is {@code #} or {@code ;} is a comment, even in the middle of a
 *       continued line; there are no comments after a value;</li>
 *   <li>a line ending in an unescaped backslash continues on the next line: the backslash becomes a space and the
 *       next line is appended as it is, leading blanks included;</li>
 *   <li>a UTF-8 byte order mark at the very start is dropped.</li>
 * </ul>
 * Blank lines are dropped. Each logical line keeps the number of its first physical line.
 */
public final class Lexer {
    private Lexer() {}

    /** One logical line, not yet trimmed. */
    public record Line(int number, String text) {}

    public static List<Line> lines(String text) {
        var out = new ArrayList<Line>();
        StringBuilder continuation = null;
        int start = 0;
        int number = 0;
        int length = text.length();
        int pos = text.startsWith("\uFEFF") ? 1 : 0;
        while (pos < length) {
            int end = text.indexOf('\n', pos);
            if (end < 0) end = length;
            String physical = text.substring(pos, end > pos && text.charAt(end - 1) == '\r' ? end - 1 : end);
            pos = end + 1;
            number++;
            if (isComment(physical)) continue;
            if (continuation != null) {
                continuation.append(physical);
            } else {
                start = number;
            }
            // Only the physical line is looked at: what came before it ends in the blank that replaced the last
            // backslash, so it cannot escape this line's first character. Scanning the whole logical line again
            // for every piece made N continued lines cost N^2.
            if (endsInEscape(physical)) {
                if (continuation == null) continuation = new StringBuilder(physical);
                continuation.setCharAt(continuation.length() - 1, ' ');
                continue;
            }
            emit(out, start, continuation != null ? continuation.toString() : physical);
            continuation = null;
        }
        if (continuation != null) emit(out, start, continuation.toString());
        return out;
    }

    private static void emit(List<Line> out, int number, String text) {
        if (!text.isBlank()) out.add(new Line(number, text));
    }

    private static boolean isComment(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '#' || c == ';') return true;
            if (!isBlank(c)) return false;
        }
        return false;
    }

    /** Whether the text ends in a backslash that is not itself escaped by the one before it. */
    private static boolean endsInEscape(String text) {
        int backslashes = 0;
        for (int i = text.length() - 1; i >= 0 && text.charAt(i) == '\\'; i--) backslashes++;
        return backslashes % 2 == 1;
    }

    /** systemd's WHITESPACE: space, tab, newline, carriage return. */
    static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
