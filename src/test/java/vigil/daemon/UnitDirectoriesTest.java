package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.Credentials;
import vigil.model.UnitSpec;
import vigil.service.SpawnException;

class UnitDirectoriesTest {
    @TempDir
    Path dir;

    @Test
    void makesDirectoriesWithModeAndOwnerAndRemovesThem() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Optional<Credentials> owner = root ? Optional.of(Credentials.of(65534, 65534)) : Optional.empty();
        var state = new UnitSpec.Directory(dir.resolve("lib/web/data"), 0750, owner, UnitSpec.Removal.NEVER);
        UnitDirectories.make(List.of(state));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(state.path())));
        if (root) {
            assertEquals(65534, Files.getAttribute(state.path(), "unix:uid"));
            assertEquals(65534, Files.getAttribute(state.path(), "unix:gid"));
        }
        Files.writeString(state.path().resolve("file"), "x");
        UnitDirectories.make(List.of(state));
        assertTrue(Files.exists(state.path().resolve("file")), "made again: its content stays");
        UnitDirectories.remove(List.of(state));
        assertFalse(Files.exists(state.path()));
        assertTrue(Files.isDirectory(dir.resolve("lib/web")), "only the directory itself goes");
        UnitDirectories.remove(List.of(state));
    }

    @Test
    void aPathThatCannotBeADirectoryFailsTheStart() throws Exception {
        Files.writeString(dir.resolve("file"), "");
        var bad = new UnitSpec.Directory(dir.resolve("file/sub"), 0755, Optional.empty(),
                UnitSpec.Removal.EVERY_STOP);
        SpawnException e = assertThrows(SpawnException.class, () -> UnitDirectories.make(List.of(bad)));
        assertTrue(e.getMessage().contains("file/sub"), e.getMessage());
    }
}
