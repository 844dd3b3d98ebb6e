package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Errno;
import vigil.service.SpawnException;

class UnitEnvironmentFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsTheFileAsItIsNow() throws Exception {
        Path file = dir.resolve("web");
        Files.writeString(file, "# defaults\nPORT=8080\nOPTS=\"-v -x\"\n");
        assertEquals(Map.of("PORT", "8080", "OPTS", "-v -x"), UnitEnvironmentFiles.read(file));
        Files.writeString(file, "PORT=9090\n");
        assertEquals(Map.of("PORT", "9090"), UnitEnvironmentFiles.read(file));
    }

    @Test
    void aFileThatIsNotUtf8StillGivesItsOtherVariables() throws Exception {
        Path file = dir.resolve("latin1");
        Files.write(file, new byte[] {'A', '=', (byte) 0xe9, '\n', 'B', '=', '2', '\n'});
        assertEquals("2", UnitEnvironmentFiles.read(file).get("B"));
    }

    @Test
    void saysWhyAFileCannotBeRead() throws Exception {
        SpawnException missing = assertThrows(SpawnException.class,
                () -> UnitEnvironmentFiles.read(dir.resolve("missing")));
        assertEquals(Errno.describe(Errno.ENOENT), missing.getMessage());
        assertEquals(Errno.ENOENT, missing.errno());

        SpawnException directory = assertThrows(SpawnException.class, () -> UnitEnvironmentFiles.read(dir));
        assertEquals(Errno.describe(Errno.EISDIR), directory.getMessage());
    }

    @Test
    void saysAFileIsNotReadable() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
        Path secret = Files.writeString(dir.resolve("secret"), "K=v\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
        SpawnException denied = assertThrows(SpawnException.class, () -> UnitEnvironmentFiles.read(secret));
        assertEquals(Errno.describe(Errno.EACCES), denied.getMessage());
    }
}
