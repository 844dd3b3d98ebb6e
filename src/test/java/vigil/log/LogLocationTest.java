package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogLocationTest {
    @Test
    void rootUsesVarLogAndOthersTheirXdgStateHome() {
        assertEquals(Path.of("/var/log/vigil"), LogLocation.defaultRoot(0, Map.of("XDG_STATE_HOME", "/s"), "/root"));
        assertEquals(Path.of("/s/vigil/log"), LogLocation.defaultRoot(1000, Map.of("XDG_STATE_HOME", "/s"), "/h"));
        assertEquals(Path.of("/home/u/.local/state/vigil/log"),
                LogLocation.defaultRoot(1000, Map.of("HOME", "/home/u", "XDG_STATE_HOME", "relative"), "/h"));
        assertEquals(Path.of("/h/.local/state/vigil/log"), LogLocation.defaultRoot(1000, Map.of(), "/h"));
    }

    @Test
    void vigilLogDirWinsForEveryone() {
        assertEquals(Path.of("/t/log"), LogLocation.defaultRoot(0, Map.of("VIGIL_LOG_DIR", "/t/log"), "/root"));
        assertEquals(Path.of("/t/log"), LogLocation.defaultRoot(1000, Map.of("VIGIL_LOG_DIR", "/t/log",
                "XDG_STATE_HOME", "/s"), "/h"));
    }

    @Test
    void aServiceNameCannotLeaveTheRoot() {
        assertEquals(Path.of("/logs/web"), LogLocation.serviceDirectory(Path.of("/logs"), "web"));
        for (String bad : new String[] {"", ".", "..", "a/b", "/etc"}) {
            assertThrows(IllegalArgumentException.class, () -> LogLocation.serviceDirectory(Path.of("/logs"), bad));
        }
    }
}
