package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnitCommandsTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        var o = new ByteArrayOutputStream();
        var e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = RootCommand.execute(args);
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void verifyReportsErrorsAndWarningsAndFailsOnErrors() throws IOException {
        Files.writeString(dir.resolve("good.service"), "[Service]\nExecStart=/bin/true\nPrivateTmp=yes\n");
        Files.writeString(dir.resolve("bad.service"), "[Service]\nExecStart=/bin/true\nRestart=sometimes\n");
        Run r = run("verify", dir.toString());
        assertEquals(1, r.status());
        String bad = dir.resolve("bad.service").toString();
        String good = dir.resolve("good.service").toString();
        assertTrue(r.out().contains(bad + ":3: Restart=sometimes: unknown restart setting 'sometimes' (expected one "
                + "of no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always)\n"), r.out());
        assertTrue(r.out().contains(good + ":3: PrivateTmp=yes: not supported by Vigil; ignored\n"), r.out());
        assertTrue(r.out().contains("bad.service: failed to load\n"), r.out());
        assertTrue(r.out().contains("2 units: 1 loaded, 1 failed, 0 masked, 0 not found; 1 errors, 1 warnings\n"),
                r.out());
        assertTrue(r.out().contains("directives Vigil does not act on (times seen): PrivateTmp 1\n"), r.out());
    }

    @Test
    void verifyReportsOrderingCyclesAndUnitsThatExistNowhere() throws IOException {
        Files.writeString(dir.resolve("a.service"), "[Unit]\nRequires=b.service ghost.service\nAfter=b.service\n"
                + "[Service]\nExecStart=/bin/true\n");
        Files.writeString(dir.resolve("b.service"), "[Unit]\nAfter=c.target\nWants=ghost.service\n"
                + "[Service]\nExecStart=/bin/true\n");
        Files.writeString(dir.resolve("c.target"), "[Unit]\nAfter=a-alias.service\n");
        Files.createSymbolicLink(dir.resolve("a-alias.service"), dir.resolve("a.service"));
        Run r = run("verify", dir.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("ghost.service: no such unit in the search path; named by a.service (Requires= in "
                + dir.resolve("a.service") + "), b.service (Wants= in " + dir.resolve("b.service") + ")\n"), r.out());
        assertTrue(r.out().contains("ordering cycle: c.target after a.service after b.service after c.target (in "
                + dir.resolve("c.target") + ", " + dir.resolve("a.service") + ", " + dir.resolve("b.service")
                + ")\n"), r.out());
        assertTrue(!r.out().contains("After=b.service: not supported"), "the engine acts on it: " + r.out());
    }

    @Test
    void verifySucceedsWithOnlyWarningsAndTakesSingleFiles() throws IOException {
        Path unit = Files.writeString(dir.resolve("ok@.service"), "[Service]\nExecStart=/bin/echo %i\n");
        Run r = run("verify", unit.toString());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("1 units: 1 loaded"), r.out());
    }

    @Test
    void catPrintsTheFragmentThenDropInsWithHeaders() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(lib.resolve("web@.service"), "[Service]\nExecStart=/bin/web %i\n");
        Files.createDirectories(etc.resolve("web@.service.d"));
        Files.writeString(etc.resolve("web@.service.d/override.conf"), "[Service]\nUser=web");
        Run r = run("cat", "web@1.service", "--units", etc.toString(), lib.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("# " + lib.resolve("web@.service") + "\n[Service]\nExecStart=/bin/web %i\n\n# "
                + etc.resolve("web@.service.d/override.conf") + "\n[Service]\nUser=web\n", r.out());
    }

    @Test
    void catOfAMissingOrMaskedUnitFails() throws IOException {
        Files.createSymbolicLink(dir.resolve("gone.service"), Path.of("/dev/null"));
        Run masked = run("cat", "gone.service", "--units", dir.toString());
        assertEquals(1, masked.status());
        assertTrue(masked.err().contains("gone.service is masked"), masked.err());
        Run missing = run("cat", "nope.service", "--units", dir.toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("no unit file for nope.service"), missing.err());
    }
}
