package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoErrorsTest {
    @Test
    void theReasonJavaLeavesOutIsPutBack() {
        assertEquals("/nonexistent: Permission denied", IoErrors.describe(new AccessDeniedException("/nonexistent")));
        assertEquals("No such file or directory", IoErrors.reason(new NoSuchFileException("/x")));
    }

    @Test
    void aReasonJavaGaveIsKeptAndATwoPathErrorNamesBoth() {
        assertEquals("/a -> /b: Read-only file system",
                IoErrors.describe(new FileSystemException("/a", "/b", "Read-only file system")));
    }

    @Test
    void aRealFailureReadsLikeStrerror(@TempDir Path dir) throws IOException {
        Path file = Files.createFile(dir.resolve("file"));
        IOException e = null;
        try {
            Files.createDirectories(file.resolve("below"));
        } catch (IOException thrown) {
            e = thrown;
        }
        assertEquals(file.resolve("below") + ": Not a directory", IoErrors.describe(e));
    }
}
