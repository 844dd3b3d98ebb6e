package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --units DIR...} takes the directories, and leaves the unit names after them to be names. */
class UnitsOptionTest {
    @TempDir
    Path dir;

    @Test
    void catTakesTheNamesAfterTheDirectories() throws IOException {
        Path first = Files.createDirectories(dir.resolve("etc"));
        Path second = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(second.resolve("redis-server.service"), "[Service]\nExecStart=/bin/true\n");
        Files.writeString(first.resolve("cron.service"), "[Service]\nExecStart=/bin/false\n");
        CliRun one = CliRun.of("cat", "--units", second.toString(), "redis-server.service");
        assertEquals(0, one.status(), one.err());
        assertTrue(one.out().contains("# " + second.resolve("redis-server.service")), one.out());
        CliRun both = CliRun.of("cat", "--units", first.toString(), second.toString(), "redis-server.service",
                "cron.service");
        assertEquals(0, both.status(), both.err());
        assertTrue(both.out().contains("ExecStart=/bin/true") && both.out().contains("ExecStart=/bin/false"),
                both.out());
        CliRun repeated = CliRun.of("cat", "--units", first.toString(), "--units", second.toString(),
                "redis-server.service");
        assertEquals(0, repeated.status(), repeated.err());
    }

    @Test
    void isEnabledTakesTheNamesAfterTheDirectories() throws IOException {
        Files.writeString(dir.resolve("a.service"), "[Service]\nExecStart=/bin/true\n[Install]\n"
                + "WantedBy=multi-user.target\n");
        CliRun r = CliRun.of("is-enabled", "--units", dir.toString(), "a.service");
        assertEquals("disabled\n", r.out(), r.err());
    }
}
