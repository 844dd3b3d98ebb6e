package vigil.unit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Splits a value into words the way systemd's {@code extract_first_word()} does with {@code EXTRACT_UNQUOTE |
 * EXTRACT_CUNESCAPE}: words are separated by blanks; single or double quotes group blanks into a word and may
 * start or stop anywhere inside one ({@code a"b c"} is {@code ab c}); a backslash starts a C escape inside or
 * outside quotes ({@code \n \t \s \xHH \NNN \\uXXXX \" \'} ...). An unknown escape, an escaped NUL, an unclosed
 * quote or a trailing backslash is an error. Escaped bytes ({@code \xc3\xa9}) are joined and read as UTF-8.
 */
public final class Words {
    private Words() {}

    /** All words of {@code value}, unquoted and unescaped. */
    public static List<String> split(String value) throws InvalidValueException {
        var words = new ArrayList<String>();
        var cursor = new Cursor(value);
        for (Optional<String> w = cursor.next(); w.isPresent(); w = cursor.next()) words.add(w.get());
        return words;
    }

    /** Splits at blanks and nothing else: quotes and backslashes stay as they are (unit names, status lists). */
    public static List<String> splitPlain(String value) {
        var words = new ArrayList<String>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            while (i < n && Lexer.isBlank(value.charAt(i))) i++;
            int start = i;
            while (i < n && !Lexer.isBlank(value.charAt(i))) i++;
            if (i > start) words.add(value.substring(start, i));
        }
        return words;
    }

    /**
     * Splits the value of a {@code $NAME} word at run time, as systemd does ({@code EXTRACT_RELAX |
     * EXTRACT_UNQUOTE}): at blanks; quotes group and are removed; a backslash takes the next character as it is; an
     * unclosed quote or a trailing backslash simply ends the word. Never fails.
     */
    public static List<String> splitRelaxed(String value) {
        var words = new ArrayList<String>();
        int i = 0;
        int n = value.length();
        while (true) {
            while (i < n && Lexer.isBlank(value.charAt(i))) i++;
            if (i >= n) return words;
            var word = new StringBuilder();
            char quote = 0;
            while (i < n) {
                char c = value.charAt(i++);
                if (c == '\\') {
                    if (i < n) word.append(value.charAt(i++));
                } else if (quote != 0) {
                    if (c == quote) quote = 0;
                    else word.append(c);
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (Lexer.isBlank(c)) {
                    break;
                } else {
                    word.append(c);
                }
            }
            words.add(word.toString());
        }
    }

    /** Reads words one at a time, so a caller can look at what comes next (a lone {@code ;}, say). */
    public static final class Cursor {
        private final String s;
        private int pos;

        public Cursor(String s) {
            this.s = s;
        }

        /** The rest of the input after skipping blanks; advances past the blanks. */
        public String rest() {
            skipBlanks();
            return s.substring(pos);
        }

        /** Skips {@code n} characters of what {@link #rest()} returned. */
        public void skip(int n) {
            pos += n;
        }

        public boolean atEnd() {
            skipBlanks();
            return pos >= s.length();
        }

        private void skipBlanks() {
            while (pos < s.length() && Lexer.isBlank(s.charAt(pos))) pos++;
        }

        /** The next word, or empty at the end. */
        public Optional<String> next() throws InvalidValueException {
            skipBlanks();
            if (pos >= s.length()) return Optional.empty();
            var word = new ByteArrayOutputStream();
            char quote = 0;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '\\') {
                    pos++;
                    if (pos >= s.length()) throw new InvalidValueException("trailing backslash");
                    pos += unescapeOne(s, pos, word);
                    continue;
                }
                if (quote != 0) {
                    if (c == quote) quote = 0;
                    else appendChar(word, s, pos);
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (Lexer.isBlank(c)) {
                    break;
                } else {
                    appendChar(word, s, pos);
                }
                pos += Character.charCount(s.codePointAt(pos));
            }
            if (quote != 0) throw new InvalidValueException("unbalanced quote " + quote);
            return Optional.of(word.toString(StandardCharsets.UTF_8));
        }
    }

    private static void appendChar(ByteArrayOutputStream out, String s, int pos) {
        byte[] b = Character.toString(s.codePointAt(pos)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }

    /** Decodes the escape starting at {@code s[pos]} (after the backslash); returns how many chars it used. */
    private static int unescapeOne(String s, int pos, ByteArrayOutputStream out) throws InvalidValueException {
        char c = s.charAt(pos);
        int simple = switch (c) {
            case 'a' -> 7;
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'v' -> 11;
            case '\\' -> '\\';
            case '"' -> '"';
            case '\'' -> '\'';
            case 's' -> ' ';
            default -> -1;
        };
        if (simple >= 0) {
            out.write(simple);
            return 1;
        }
        switch (c) {
            case 'x' -> {
                int v = hexDigits(s, pos + 1, 2);
                if (v <= 0) throw new InvalidValueException("invalid escape \\x" + excerpt(s, pos + 1, 2));
                out.write(v);
                return 3;
            }
            case 'u', 'U' -> {
                int digits = c == 'u' ? 4 : 8;
                int v = hexDigits(s, pos + 1, digits);
                if (v <= 0 || v > 0x10FFFF || v >= 0xD800 && v <= 0xDFFF) {
                    throw new InvalidValueException("invalid escape \\" + c + excerpt(s, pos + 1, digits));
                }
                byte[] b = Character.toString(v).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                return 1 + digits;
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int v = octalDigits(s, pos);
                    if (v <= 0 || v > 0xff) throw new InvalidValueException("invalid escape \\" + excerpt(s, pos, 3));
                    out.write(v);
                    return 3;
                }
                throw new InvalidValueException("invalid escape \\" + c);
            }
        }
    }

    private static String excerpt(String s, int from, int n) {
        return s.substring(from, Math.min(s.length(), from + n));
    }

    private static int hexDigits(String s, int from, int n) {
        if (from + n > s.length()) return -1;
        long v = 0;
        for (int i = from; i < from + n; i++) {
            int d = UnitName.hex(s.charAt(i));
            if (d < 0) return -1;
            v = v << 4 | d;
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }

    private static int octalDigits(String s, int from) {
        if (from + 3 > s.length()) return -1;
        int v = 0;
        for (int i = from; i < from + 3; i++) {
            char d = s.charAt(i);
            if (d < '0' || d > '7') return -1;
            v = v << 3 | d - '0';
        }
        return v;
    }
}
