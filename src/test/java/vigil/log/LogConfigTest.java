package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogConfigTest {
    @Test
    void defaultsAreSvlogdsExceptTheMinimum() {
        assertEquals(new LogConfig(1_000_000, 10, 0, 0), LogConfig.parse("").config());
    }

    @Test
    void readsSizeCountMinimumAndAgeWithUnits() {
        LogConfig.Parsed parsed = LogConfig.parse("# a comment\n\ns4096\nn5\nN2\nt90\n");
        assertEquals(new LogConfig(4096, 5, 2, 90), parsed.config());
        assertEquals(List.of(), parsed.ignored());
        assertEquals(new LogConfig(2048, 10, 0, 120), LogConfig.parse("s2k\nt2m").config());
        assertEquals(new LogConfig(3 * 1024 * 1024, 0, 0, 7200), LogConfig.parse("s3m\nn0\nt2h  \n").config());
        assertEquals(0, LogConfig.parse("s0").config().maxSize());
    }

    @Test
    void reportsWhatItIgnoresAndKeepsTheRest() {
        LogConfig.Parsed parsed = LogConfig.parse("!gzip\n+*error*\n-*debug*\nu127.0.0.1\npfoo: \nsbig\nn-1\nx1\ns500");
        assertEquals(new LogConfig(500, 10, 0, 0), parsed.config());
        List<String> lines = parsed.ignored().stream().map(LogEvent.ConfigIgnored::line).toList();
        assertEquals(List.of("!gzip", "+*error*", "-*debug*", "u127.0.0.1", "pfoo:", "sbig", "n-1", "x1"), lines);
        assertTrue(parsed.ignored().getFirst().describe().contains("processors are not supported"));
        assertTrue(parsed.ignored().get(5).describe().contains("not a number"));
    }
}
