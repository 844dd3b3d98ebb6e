package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.UnitSpec;

class UnitConditionsTest {
    @TempDir
    Path dir;

    private boolean holds(String check, Path path) {
        return UnitConditions.holds(new UnitSpec.Condition(check, false, false, path.toString()));
    }

    @Test
    void eachFileSystemCheckLooksAtThePathAsSystemdDoes() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        Path full = Files.writeString(dir.resolve("full"), "x");
        Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path emptyDir = Files.createDirectory(dir.resolve("emptydir"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), full);
        Path missing = dir.resolve("missing");

        assertEquals(true, holds("PathExists", full));
        assertEquals(false, holds("PathExists", missing));
        assertEquals(true, holds("PathIsDirectory", dir));
        assertEquals(false, holds("PathIsDirectory", full));
        assertEquals(true, holds("PathIsSymbolicLink", link));
        assertEquals(false, holds("PathIsSymbolicLink", full));
        assertEquals(true, holds("PathIsReadWrite", dir));
        assertEquals(true, holds("DirectoryNotEmpty", dir));
        assertEquals(false, holds("DirectoryNotEmpty", emptyDir));
        assertEquals(true, holds("FileNotEmpty", full));
        assertEquals(false, holds("FileNotEmpty", empty));
        assertEquals(true, holds("FileIsExecutable", script));
        assertEquals(false, holds("FileIsExecutable", full));
    }
}
