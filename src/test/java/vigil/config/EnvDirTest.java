package vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvDirTest {
    @TempDir
    Path env;

    private void file(String name, String content) throws IOException {
        Files.writeString(env.resolve(name), content);
    }

    @Test
    void eachFileSetsOneVariable() throws Exception {
        file("A", "1\n");
        file("B", "two words");
        assertEquals(Map.of("KEEP", "k", "A", "1", "B", "two words"), EnvDir.apply(env, Map.of("KEEP", "k")));
    }

    @Test
    void overridesTheBase() throws Exception {
        file("PATH", "/opt/bin\n");
        assertEquals(Map.of("PATH", "/opt/bin"), EnvDir.apply(env, Map.of("PATH", "/bin")));
    }

    @Test
    void emptyFileUnsetsButANewlineSetsEmpty() throws Exception {
        file("GONE", "");
        file("BLANK", "\n");
        assertEquals(Map.of("BLANK", ""), EnvDir.apply(env, Map.of("GONE", "was here", "BLANK", "x")));
    }

    @Test
    void firstLineOnlyTrailingBlanksRemovedLeadingKept() throws Exception {
        file("V", "  value \t \nsecond line\n");
        assertEquals(Map.of("V", "  value"), EnvDir.apply(env, Map.of()));
    }

    @Test
    void nulBecomesNewline() throws Exception {
        file("M", "one\0two\0\n");
        assertEquals(Map.of("M", "one\ntwo\n"), EnvDir.apply(env, Map.of()));
    }

    @Test
    void dotFilesAndSubdirectoriesAreSkipped() throws Exception {
        file(".hidden", "x");
        file(".A=B", "dot files are skipped before their name is checked");
        Files.createDirectory(env.resolve("SUB"));
        assertEquals(Map.of("SUB", "base"), EnvDir.apply(env, Map.of("SUB", "base")));
    }

    @Test
    void symlinkToAFileCounts() throws Exception {
        file(".target", "linked\n");
        Files.createSymbolicLink(env.resolve("L"), Path.of(".target"));
        assertEquals(Map.of("L", "linked"), EnvDir.apply(env, Map.of()));
    }

    @Test
    void longFirstLineIsReadWhole() throws Exception {
        String value = "v".repeat(EnvDir.MAX_VALUE);
        file("BIG", value + "\nrest");
        assertEquals(Map.of("BIG", value), EnvDir.apply(env, Map.of()));
    }

    @Test
    void tooLongFirstLineIsAnError() throws IOException {
        file("HUGE", "v".repeat(EnvDir.MAX_VALUE + 1));
        var e = assertThrows(ConfigException.class, () -> EnvDir.apply(env, Map.of()));
        assertEquals(env.getFileName() + "/HUGE: the first line is longer than 131072 bytes, more than execve "
                + "accepts for one variable", e.getMessage());
    }

    @Test
    void equalsSignInNameIsAnError() throws IOException {
        file("A=B", "x");
        var e = assertThrows(ConfigException.class, () -> EnvDir.apply(env, Map.of()));
        assertEquals(env.getFileName() + "/A=B: a variable name cannot contain '='", e.getMessage());
    }
}
