package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
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
    void anUnknownEndingIsABadRequestThatNamesTheField() {
        Protocol.Failure failure = assertThrows(Protocol.Failure.class,
                () -> parse("{\"v\":1,\"cmd\":\"shutdown\",\"then\":\"explode\"}"));
        assertEquals(Protocol.Error.BAD_REQUEST, failure.error());
        assertEquals("\"then\" must be poweroff, reboot or halt, not \"explode\"", failure.getMessage());
    }
}
