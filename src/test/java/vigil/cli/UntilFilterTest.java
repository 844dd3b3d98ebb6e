package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** --until and journalctl's -o cat and -o json over a log's lines. */
class UntilFilterTest {
    private static long nanos(String iso) {
        Instant i = Instant.parse(iso);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void linesStampedAfterTheLimitAreDropped() throws IOException {
        var sink = new ByteArrayOutputStream();
        try (var until = new UntilFilter(sink, nanos("2026-11-21T13:00:00Z"))) {
            until.write(("2026-11-21_12:59:59.00000 before\nno stamp\n2026-11-21_13:00:00.00000 at\n"
                    + "2026-11-21_13:00:01.00000 after\n2026-11-21_12:00:00.00000 not reached\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("2026-11-21_12:59:59.00000 before\nno stamp\n2026-11-21_13:00:00.00000 at\n",
                sink.toString(StandardCharsets.UTF_8));
    }

    @Test
    void journalctlsCatAndJsonOutputs() throws IOException {
        byte[] log = "2026-11-21_13:00:00.00000 hello\n".getBytes(StandardCharsets.UTF_8);
        var cat = new ByteArrayOutputStream();
        try (var lines = new JournalctlCommand.Lines(cat, "web.service", false)) {
            lines.write(log);
        }
        assertEquals("hello\n", cat.toString(StandardCharsets.UTF_8));
        var json = new ByteArrayOutputStream();
        try (var lines = new JournalctlCommand.Lines(json, "web.service", true)) {
            lines.write(log);
        }
        assertEquals("{\"__REALTIME_TIMESTAMP\":\"" + nanos("2026-11-21T13:00:00Z") / 1000
                + "\",\"_SYSTEMD_UNIT\":\"web.service\",\"MESSAGE\":\"hello\"}\n", json.toString(StandardCharsets.UTF_8));
    }
}
