package vigil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import vigil.control.ControlPaths;

/**
 * The hostile local user of the security tests: uid and gid 65534 with no supplementary groups, reached through
 * util-linux's {@code setpriv}, so the kernel (SO_PEERCRED, file modes) sees exactly that user. Only root can
 * switch to it: {@link #require} skips the test otherwise.
 */
public final class Nobody {
    public static final int UID = 65534;

    private Nobody() {}

    /** Skips the test unless it runs as root with setpriv installed. */
    public static void require() {
        assumeTrue(ControlPaths.currentUid() == 0, "needs root to switch to uid " + UID);
        Tools.require("setpriv", "util-linux");
    }

    /** {@code command} prefixed so that it runs as uid 65534. */
    public static List<String> command(String... command) {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups"));
        all.addAll(List.of(command));
        return all;
    }

    /** Runs {@code command} as uid 65534 in {@code cwd}, with {@code stdin} (or none). */
    public static Tools.Result run(Path cwd, String stdin, String... command) throws IOException, InterruptedException {
        return Tools.run(cwd, Map.of(), stdin, command(command));
    }

    /** Makes a JUnit temporary directory (0700) passable by uid 65534, so it can reach a socket inside it. */
    public static void letIn(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
