package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestTargetTest {
    @Test
    void plainPathsAreSegments() throws HttpError {
        assertEquals(List.of(), RequestTarget.segments("/"));
        assertEquals(List.of("metrics"), RequestTarget.segments("/metrics"));
        assertEquals(List.of("metrics"), RequestTarget.segments("/metrics/"));
        assertEquals(List.of("readyz", "web", "log"), RequestTarget.segments("/readyz/web/log?x=1"));
        assertEquals(List.of("api", "services", "a b", "stop"), RequestTarget.segments("/api/services/a%20b/stop"));
    }

    @Test
    void dotSegmentsRawOrEncodedAre400() {
        for (String target : List.of("/../etc/passwd", "/readyz/..", "/a/./b", "/%2e%2e/x", "/%2E./x", "/.%2e")) {
            assertEquals(400, assertThrows(HttpError.class, () -> RequestTarget.segments(target)).status(), target);
        }
    }

    @Test
    void encodedSlashesAndNulAre400() {
        for (String target : List.of("/readyz/web%2flog", "/readyz/web%2Flog", "/a%5cb", "/a%00b", "/a\0b",
                "/a%0", "/a%zz", "/%c3%28", "metrics", "http://x/")) {
            assertEquals(400, assertThrows(HttpError.class, () -> RequestTarget.segments(target)).status(), target);
        }
    }
}
