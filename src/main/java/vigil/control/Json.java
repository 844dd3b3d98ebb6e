package vigil.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON the control protocol needs, both ways, with no dependency: objects become {@link Map}s that
 * keep their key order, arrays {@link List}s, numbers {@link Long} when integral and {@link Double} otherwise,
 * and {@code null} Java's null. The parser rejects what a strict reader should (trailing commas, leading zeros,
 * bare control characters, duplicate keys, numbers beyond a double; lone surrogates are let through, as most
 * parsers do) and nests at most {@link #MAX_DEPTH} deep, so no input can exhaust the loop thread's stack. An
 * error inside an object names the key it was under.
 *
 * <p>Why not a library: the protocol's messages are flat, the CLI's start-up time counts every class loaded, and
 * limits on depth and size have to be ours anyway. The smallest well-kept libraries bring 30-500 KB and
 * reflection; this is one class.
 */
public final class Json {
    private Json() {}

    /** Deeper nesting than any request needs; deep enough to be useful, shallow enough to be safe. */
    public static final int MAX_DEPTH = 16;

    /** Malformed JSON, with the position of the first problem. */
    public static final class ParseException extends Exception {
        public ParseException(String message) {
            super(message);
        }
    }

    /** Parses one JSON value that fills all of {@code text} (whitespace around it aside). */
    public static Object parse(CharSequence text) throws ParseException {
        Parser p = new Parser(text);
        p.skipSpace();
        Object value = p.value(0);
        p.skipSpace();
        if (p.at < text.length()) throw p.error("unexpected text after the value");
        return value;
    }

    /** The JSON text of a value made of maps, lists, strings, numbers, booleans and nulls. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder(128);
        write(value, out);
        return out.toString();
    }

    public static void write(Object value, StringBuilder out) {
        // An if chain, not a pattern switch: the switch's bootstrap costs the CLI milliseconds at start-up.
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(s, out);
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) throw new IllegalArgumentException("not a JSON number: " + d);
            out.append(d);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) out.append(',');
                first = false;
                string((String) e.getKey(), out);
                out.append(':');
                write(e.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) out.append(',');
                write(list.get(i), out);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // U+2028 and U+2029 are escaped too: JavaScript readers take them for line ends.
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static final class Parser {
        final CharSequence in;
        int at;

        Parser(CharSequence in) {
            this.in = in;
        }

        ParseException error(String what) {
            return new ParseException("malformed JSON at character " + (at + 1) + ": " + what);
        }

        void skipSpace() {
            while (at < in.length()) {
                char c = in.charAt(at);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                at++;
            }
        }

        char peek() throws ParseException {
            if (at >= in.length()) throw error("unexpected end");
            return in.charAt(at);
        }

        Object value(int depth) throws ParseException {
            char c = peek();
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected '" + printable(c) + "'");
                }
            };
        }

        Object literal(String word, Object value) throws ParseException {
            for (int i = 0; i < word.length(); i++) {
                if (at + i >= in.length() || in.charAt(at + i) != word.charAt(i)) throw error("expected " + word);
            }
            at += word.length();
            return value;
        }

        Map<String, Object> object(int depth) throws ParseException {
            if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH);
            at++;
            Map<String, Object> map = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                at++;
                return map;
            }
            while (true) {
                skipSpace();
                if (peek() != '"') throw error("expected a string key");
                String key = string();
                skipSpace();
                if (peek() != ':') throw error("expected ':'");
                at++;
                skipSpace();
                Object value;
                try {
                    value = value(depth);
                } catch (ParseException e) {
                    throw new ParseException(e.getMessage() + ", in \"" + key + "\"");
                }
                if (map.containsKey(key)) throw error("duplicate key \"" + key + "\"");
                map.put(key, value);
                skipSpace();
                char c = peek();
                at++;
                if (c == '}') return map;
                if (c != ',') {
                    at--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        List<Object> array(int depth) throws ParseException {
            if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH);
            at++;
            List<Object> list = new ArrayList<>();
            skipSpace();
            if (peek() == ']') {
                at++;
                return list;
            }
            while (true) {
                skipSpace();
                list.add(value(depth));
                skipSpace();
                char c = peek();
                at++;
                if (c == ']') return list;
                if (c != ',') {
                    at--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        String string() throws ParseException {
            at++;
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = peek();
                at++;
                if (c == '"') return out.toString();
                if (c < 0x20) {
                    at--;
                    throw error("a control character in a string must be escaped");
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = peek();
                at++;
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > in.length()) throw error("short \\u escape");
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int digit = Character.digit(in.charAt(at + i), 16);
                            if (digit < 0) throw error("bad \\u escape");
                            code = code * 16 + digit;
                        }
                        at += 4;
                        out.append((char) code);
                    }
                    default -> {
                        at--;
                        throw error("unknown escape \\" + printable(e));
                    }
                }
            }
        }

        Object number() throws ParseException {
            int start = at;
            if (peek() == '-') at++;
            if (at >= in.length()) throw error("expected a digit");
            char first = in.charAt(at);
            if (first == '0') {
                at++;
            } else if (first >= '1' && first <= '9') {
                while (at < in.length() && isDigit(in.charAt(at))) at++;
            } else {
                throw error("expected a digit");
            }
            boolean integral = true;
            if (at < in.length() && in.charAt(at) == '.') {
                integral = false;
                at++;
                digits();
            }
            if (at < in.length() && (in.charAt(at) == 'e' || in.charAt(at) == 'E')) {
                integral = false;
                at++;
                if (at < in.length() && (in.charAt(at) == '+' || in.charAt(at) == '-')) at++;
                digits();
            }
            String text = in.subSequence(start, at).toString();
            if (integral) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException tooBig) {
                    // Read as a double below.
                }
            }
            double d = Double.parseDouble(text);
            // Infinity has no JSON form: an id of 1e999 could not be echoed in its reply.
            if (Double.isInfinite(d)) {
                at = start;
                throw error("number " + (text.length() > 40 ? text.substring(0, 40) + "..." : text)
                        + " is out of range");
            }
            return d;
        }

        void digits() throws ParseException {
            int start = at;
            while (at < in.length() && isDigit(in.charAt(at))) at++;
            if (at == start) throw error("expected a digit");
        }

        static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        static String printable(char c) {
            return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
        }
    }
}
