package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Any unit file: parsed, compiled and mapped to what Vigil runs, it either loads or fails with error diagnostics
 * that name its file, never with an exception. Fuzzed for a bounded time in {@code ./mvnw verify}, starting from
 * the seeds (real units of Debian packages); otherwise the seeds run as regression tests.
 */
class UnitFileFuzzTest {
    private static final Path FILE = Path.of("/etc/systemd/system/fuzz@one.service");
    /** No passwd or group file: every user name is unknown, and says so. */
    private static final Accounts ACCOUNTS =
            new Accounts(Path.of("/nonexistent/passwd"), Path.of("/nonexistent/group"));

    @FuzzTest(maxDuration = "60s", maxExecutions = 20_000)
    void everyUnitFileLoadsOrFailsWithItsErrors(byte[] input) throws Exception {
        // Malformed UTF-8 is replaced, as the loader decodes it.
        Parser.ParsedFile parsed = Parser.parse(FILE, new String(input, StandardCharsets.UTF_8));
        UnitName name = UnitName.parse("fuzz@one.service").orElseThrow();
        var file = new UnitFile(name, FILE, List.of(), List.of(), parsed.sections(), parsed.entries(), List.of(),
                List.of());
        UnitResult result = UnitCompiler.compile(name.toString(), file, parsed.diagnostics(), TestHosts.system());
        for (Diagnostic d : result.diagnostics()) assertTrue(d.format().startsWith(FILE.toString()), d::format);
        switch (result) {
            case UnitResult.Loaded loaded -> {
                assertFalse(loaded.diagnostics().stream().anyMatch(Diagnostic::isError));
                try {
                    UnitMapper.map(loaded.unit(), TestHosts.system(), ACCOUNTS, Map.of("PATH", "/usr/bin:/bin"));
                } catch (UnitMapper.CannotRun e) {
                    assertFalse(e.getMessage().isEmpty());
                }
            }
            case UnitResult.Failed failed ->
                    assertTrue(failed.diagnostics().stream().anyMatch(Diagnostic::isError), failed::toString);
            default -> { }
        }
    }
}
