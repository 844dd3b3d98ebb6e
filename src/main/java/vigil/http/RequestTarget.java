package vigil.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A request target's path as segments, or a 400: nothing that could name something other than it seems. Refused:
 * NUL (raw or {@code %00}), an encoded slash or backslash (which would hide a segment boundary from this check
 * and not from whatever reads the name next), {@code .} and {@code ..} segments (raw or encoded), bad escapes, and
 * anything that is not UTF-8. The query string is dropped: no endpoint takes one.
 */
final class RequestTarget {
    private RequestTarget() {}

    static List<String> segments(String target) throws HttpError {
        if (!target.startsWith("/")) throw new HttpError(400, "the request target must be a path: " + shown(target));
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        List<String> segments = new ArrayList<>();
        for (String raw : path.substring(1).split("/", -1)) {
            String segment = decode(raw);
            if (segment.equals(".") || segment.equals("..")) {
                throw new HttpError(400, "dot segments are not served: " + shown(target));
            }
            segments.add(segment);
        }
        // "/" and "/metrics/" are "" and "metrics": a trailing slash names the same thing.
        if (!segments.isEmpty() && segments.getLast().isEmpty()) segments.removeLast();
        return segments;
    }

    private static String decode(String raw) throws HttpError {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new HttpError(400, "a bad %-escape in the path");
                }
                int value = hex(raw.charAt(i + 1)) << 4 | hex(raw.charAt(i + 2));
                if (value == '/' || value == '\\') throw new HttpError(400, "an encoded slash in the path");
                if (value == 0) throw new HttpError(400, "a NUL in the path");
                bytes.write(value);
                i += 2;
            } else if (c == 0) {
                throw new HttpError(400, "a NUL in the path");
            } else if (c < 0x21 || c > 0x7e) {
                throw new HttpError(400, "a raw control or non-ASCII character in the path");
            } else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new HttpError(400, "the path is not UTF-8");
        }
    }

    private static int hex(char c) throws HttpError {
        int v = Character.digit(c, 16);
        if (v < 0) throw new HttpError(400, "a bad %-escape in the path");
        return v;
    }

    /** The target for a message: short, and printable. */
    static String shown(String target) {
        String cut = target.length() > 80 ? target.substring(0, 80) + "..." : target;
        return cut.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
