package vigil.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BusAddressTest {
    @Test
    void theSystemDefault() {
        assertEquals(Path.of("/run/dbus/system_bus_socket"), BusAddress.socket(BusAddress.SYSTEM_DEFAULT));
    }

    @Test
    void theFirstUnixPathOfAListWithItsEscapesUndone() {
        assertEquals(Path.of("/tmp/a bus"),
                BusAddress.socket("tcp:host=localhost,port=1;unix:guid=1234,path=/tmp/a%20bus;unix:path=/x"));
    }

    @Test
    void otherTransportsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> BusAddress.socket("unix:abstract=/tmp/x"));
        assertEquals("D-Bus address unix:abstract=/tmp/x: Vigil connects only to unix:path=", e.getMessage());
    }

    @Test
    void aBrokenEscapeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BusAddress.socket("unix:path=/tmp/%2"));
    }
}
