package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Colour as systemctl uses it, on a terminal only; the status table's padding is kept around it. */
class ColoursTest {
    private static final Colours ON = new Colours(true);

    @Test
    void statesTakeSystemctlsColours() {
        assertEquals("\u001b[0;1;32mactive\u001b[0m", ON.state("active", "active"));
        assertEquals("\u001b[0;1;31mfailed\u001b[0m", ON.state("failed", "failed"));
        assertEquals("inactive", ON.state("inactive", "inactive"));
        assertEquals("active", Colours.NONE.state("active", "active"));
    }

    @Test
    void noColourWhenNoColorIsSetOrTheOutputIsNotATerminal() {
        assertFalse(Colours.forOutput(Map.of("NO_COLOR", "1")).on());
        // The test's output is a pipe to the build, not a terminal.
        assertFalse(Colours.forOutput(Map.of()).on());
    }

    @Test
    void aColouredRowKeepsItsColumns() {
        Map<String, Object> web = Map.of("name", "web", "state", "up", "pid", 12, "restarts", 0, "elapsed_ms", 5000);
        String plain = StatusText.row(web, Colours.NONE);
        String coloured = StatusText.row(web, ON);
        assertEquals(plain, coloured.replace("\u001b[0;1;32m", "").replace("\u001b[0m", ""));
        assertTrue(coloured.contains("\u001b[0;1;32mup\u001b[0m        "), coloured);
    }

    @Test
    void theSummaryCountsRunningFailedAndRefused() {
        List<Map<String, Object>> entries = List.of(
                Map.of("name", "web", "state", "up", "pid", 12, "want", "up"),
                Map.of("name", "a.service", "unit", true, "state", "failed", "pid", 0),
                Map.of("name", "bad", "state", "backoff", "pid", 0, "want", "up", "crash_loop", true),
                Map.of("name", "norun", "state", "refused", "refused", true, "reason", "run is not executable"));
        assertEquals("1 running, 2 failed, 1 refused, 1 in a crash loop", StatusText.summary(entries));
    }

    @Test
    void aUnitsUptimeIsShownWhileItIsActive() {
        Map<String, Object> unit = Map.of("name", "a.service", "unit", true, "state", "active", "pid", 7,
                "restarts", 0, "elapsed_ms", 65_000);
        assertTrue(StatusText.row(unit).matches("a.service +active +7 +1m05s +0 +-"), StatusText.row(unit));
    }

    @Test
    void listUnitsColoursAFailedUnitsLine() {
        List<Map<String, Object>> units = List.of(
                Map.of("name", "a.service", "load", "loaded", "active", "failed", "sub", "failed"),
                Map.of("name", "b.service", "load", "loaded", "active", "active", "sub", "running"));
        List<String> lines = ListUnitsCommand.format(units, false, List.of(), List.of(), false, ON);
        assertTrue(lines.get(0).startsWith("\u001b[0;1;31m\u25cf a.service") && lines.get(0).endsWith("\u001b[0m"),
                lines.get(0));
        assertTrue(lines.get(1).startsWith("  b.service"), lines.get(1));
        assertEquals(ListUnitsCommand.format(units, false, List.of(), List.of(), false),
                ListUnitsCommand.format(units, false, List.of(), List.of(), false, Colours.NONE));
    }
}
