package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Any line a client sends: it is either a request or a clean error, never an internal error, and the reply that
 * echoes its id is valid JSON. Fuzzed for a bounded time in {@code ./mvnw verify} (the {@code fuzz} execution);
 * otherwise its seeds and past findings run as regression tests.
 */
class ControlProtocolFuzzTest {
    @FuzzTest(maxDuration = "60s", maxExecutions = 500_000)
    void everyLineIsARequestOrACleanError(byte[] input) throws Exception {
        String line = new String(input, StandardCharsets.UTF_8);
        Object json;
        try {
            json = Json.parse(line);
        } catch (Json.ParseException e) {
            return;
        }
        // What the daemon writes is read back as it was.
        String written = Json.write(json);
        assertEquals(written, Json.write(Json.parse(written)));
        Object id = RequestParser.id(json);
        Map<String, Object> reply;
        try {
            RequestParser.parse(json);
            reply = Protocol.ok(id);
        } catch (Protocol.Failure f) {
            reply = Protocol.error(id, f.error(), f.getMessage());
        }
        String replyLine = Json.write(reply);
        assertEquals(replyLine, Json.write(Json.parse(replyLine)));
    }
}
