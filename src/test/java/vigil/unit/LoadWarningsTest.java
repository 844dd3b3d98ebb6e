package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The warnings of a unit at load: two lines at most, the lost security settings apart and loud. */
class LoadWarningsTest {
    private static Diagnostic ignored(String key, String value) {
        return Diagnostic.warning(Diagnostic.Kind.IGNORED_DIRECTIVE, new Source(Path.of("/x/nginx.service"), 3),
                key, value, "not supported by Vigil; ignored");
    }

    @Test
    void securitySettingsGetALineOfTheirOwnAndTheRestOneLine() {
        List<Diagnostic> diagnostics = List.of(ignored("ProtectSystem", "strict"), ignored("PrivateTmp", "yes"),
                ignored("SyslogIdentifier", "nginx"), ignored("TTYReset", "yes"),
                Diagnostic.warning(Diagnostic.Kind.UNKNOWN_DIRECTIVE, new Source(Path.of("/x/nginx.service"), 9),
                        "Frobnicate", "1", "unknown directive in [Service]; ignored"));
        assertEquals(List.of(
                "runs WITHOUT ProtectSystem=strict, PrivateTmp=yes: Vigil does not apply these security settings",
                "ignores SyslogIdentifier=, TTYReset=, Frobnicate= (vigil verify shows why)"),
                LoadWarnings.lines(diagnostics));
    }

    @Test
    void errorsStayOneALine() {
        Diagnostic error = Diagnostic.error(Diagnostic.Kind.INVALID_VALUE, new Source(Path.of("/x/a.service"), 2),
                "Restart", "sometimes", "unknown restart setting");
        assertEquals(List.of(error.format()), LoadWarnings.lines(List.of(error)));
    }
}
