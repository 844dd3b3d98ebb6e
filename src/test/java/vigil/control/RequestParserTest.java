package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vigil.os.Ending;

class RequestParserTest {
    private static Request parse(String json) throws Exception {
        return RequestParser.parse(Json.parse(json));
    }

    @Test
    void shutdownSaysHowTheSystemShouldEndUnderInit() throws Exception {
        assertEquals(new Request.Shutdown(Optional.empty()), parse("{\"v\":1,\"cmd\":\"shutdown\"}"));
        assertEquals(new Request.Shutdown(Optional.of(Ending.REBOOT)),
                parse("{\"v\":1,\"cmd\":\"shutdown\",\"then\":\"reboot\"}"));
        assertEquals(new Request.Shutdown(Optional.of(Ending.HALT)),
                parse("{\"v\":1,\"cmd\":\"shutdown\",\"then\":\"halt\"}"));
        assertEquals(new Request.Shutdown(Optional.of(Ending.POWER_OFF)),
                parse("{\"v\":1,\"cmd\":\"shutdown\",\"then\":\"poweroff\"}"));
    }

    @Test
    void unitsTakesOptionalNamesAndJobsTakesNothing() throws Exception {
        assertEquals(new Request.Units(List.of()), parse("{\"v\":1,\"cmd\":\"units\"}"));
        assertEquals(new Request.Units(List.of("web", "multi-user.target")),
                parse("{\"v\":1,\"cmd\":\"units\",\"names\":[\"web\",\"multi-user.target\"]}"));
        assertEquals(new Request.Jobs(), parse("{\"v\":1,\"cmd\":\"jobs\"}"));
        Protocol.Failure failure = assertThrows(Protocol.Failure.class,
                () -> parse("{\"v\":1,\"cmd\":\"jobs\",\"name\":\"web\"}"));
        assertEquals("unknown field \"name\" for \"jobs\"", failure.getMessage());
    }

    @Test
    void anUnknownEndingIsABadRequestThatNamesTheField() {
        Protocol.Failure failure = assertThrows(Protocol.Failure.class,
                () -> parse("{\"v\":1,\"cmd\":\"shutdown\",\"then\":\"explode\"}"));
        assertEquals(Protocol.Error.BAD_REQUEST, failure.error());
        assertEquals("\"then\" must be poweroff, reboot or halt, not \"explode\"", failure.getMessage());
    }

    private static Protocol.Failure refused(String json) {
        return assertThrows(Protocol.Failure.class, () -> parse(json));
    }

    /** Each once reached the daemon: a NUL in argv or env left the name registered, one in cwd an internal error. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"argv\":[\"sleep\",\"1\\u0000\"]                          | \"argv\" must not contain NUL",
        "\"argv\":[\"sleep\",\"1\"],\"cwd\":\"/tmp\\u0000x\"          | \"cwd\" must not contain NUL",
        "\"argv\":[\"sleep\",\"1\"],\"env\":{\"A\":\"b\\u0000c\"}    | \"env\" must not contain NUL",
        "\"argv\":[\"sleep\",\"1\"],\"program\":\"/bin/\\u0000\"      | \"program\" must not contain NUL",
        "\"argv\":[\"sleep\",\"1\"],\"user\":\"root\\u0000\"          | \"user\" must not contain NUL",
        "\"argv\":[\"sleep\",\"1\"],\"cwd\":\"/tmp/\\ud800\"           | \"cwd\" must be valid Unicode (a lone surrogate)",
        "\"argv\":[\"sleep\",\"\\udc00\"]                            | \"argv\" must be valid Unicode (a lone surrogate)",
    })
    void addRefusesWhatNoPathOrArgumentCanHold(String fields, String message) {
        Protocol.Failure failure = refused("{\"v\":1,\"cmd\":\"add\",\"name\":\"web\"," + fields + "}");
        assertEquals(Protocol.Error.BAD_REQUEST, failure.error());
        assertEquals("web: " + message, failure.getMessage());
    }
}
