package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.ControlPaths;

/** Root only: a thread of the test process takes another user's file-system credentials, and only that thread. */
class FsCredentialsTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;
    private Path secret;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(ControlPaths.currentUid() == 0, "needs root to take another user's credentials");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        secret = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(secret.resolve("file"), "x");
        // Group root may enter: a thread that kept root's groups would see in.
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwxr-x---"));
    }

    @Test
    void theWorkSeesWhatTheUserSees() {
        assertThrows(AccessDeniedException.class, () -> FsCredentials.run(NOBODY, NOBODY, List.of(),
                () -> Files.readAttributes(secret.resolve("file"), "size")));
        assertThrows(AccessDeniedException.class, () -> FsCredentials.run(NOBODY, NOBODY, List.of(),
                () -> Files.readAttributes(secret.resolve("no-such-file"), "size")),
                "a missing file looks the same as an existing one");
    }

    @Test
    void theUsersGroupsCount() throws Exception {
        assertEquals(1L, FsCredentials.run(NOBODY, NOBODY, List.of(0),
                () -> Files.readAttributes(secret.resolve("file"), "size").get("size")));
    }

    @Test
    void noOtherThreadIsTouched() throws Exception {
        assertThrows(AccessDeniedException.class, () -> FsCredentials.run(NOBODY, NOBODY, List.of(),
                () -> Files.readString(secret.resolve("file"))));
        assertEquals("x", Files.readString(secret.resolve("file")), "the caller is still root");
        Thread.ofPlatform().start(() -> {}).join();
        assertEquals("x", FsCredentials.run(0, 0, List.of(0), () -> Files.readString(secret.resolve("file"))));
    }
}
