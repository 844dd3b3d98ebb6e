package vigil.http;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One request's head, as read: the method, the decoded path's segments (checked: see {@link RequestTarget}), the
 * headers by lower-case name (the last of repeated ones), and whether the connection may stay open after it.
 */
record HttpRequest(String method, List<String> path, Map<String, String> headers, boolean keepAlive) {
    Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
