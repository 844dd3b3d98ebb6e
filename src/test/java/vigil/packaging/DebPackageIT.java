package vigil.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import vigil.testing.Tools;

/**
 * The Debian package, installed with dpkg -i into a Debian minbase root that has no JDK, and run there:
 * {@code vigil --help}, {@code vigil daemon} on a tree of one service until TERM, completion of that service's name,
 * {@code man vigil}. src/test/deb/deb-test.sh does the work in mount and PID namespaces of its own, on an overlay
 * of the root (which it never changes), and says what it saw in "DEBTEST" lines.
 *
 * <p>The package is the one {@code ./mvnw package -Pdeb} built (a plain build makes none); the root is the VM
 * test's (target/vm/root, built once by debootstrap, which costs minutes), or {@code -Dvigil.deb.root=DIR}. Without
 * either the test is skipped, with the command that enables it.
 */
class DebPackageIT {
    private static final long LIMIT_MINUTES = 5;

    @Test
    void thePackageInstallsIntoARootWithoutAJdkAndRunsThere() throws Exception {
        Path checkout = Path.of(System.getProperty("vigil.launcher")).getParent();
        Path target = checkout.resolve("target");
        Path deb = newestDeb(target);
        assumeTrue(deb != null, "no Debian package in target/: ./mvnw verify -Pdeb builds it (and runs this test)");
        assumeTrue(!Files.getLastModifiedTime(deb).toInstant()
                        .isBefore(Files.getLastModifiedTime(target.resolve("vigil.jar")).toInstant()),
                deb + " is older than target/vigil.jar: ./mvnw verify -Pdeb builds it again");
        String rootProperty = System.getProperty("vigil.deb.root", "");
        Path root = rootProperty.isEmpty() ? target.resolve("vm/root") : Path.of(rootProperty);
        assumeTrue(!rootProperty.isEmpty() || Files.exists(target.resolve("vm/root.done")),
                "no Debian root to install into: ./mvnw verify -Dvigil.vm=run builds the VM test's (debootstrap, "
                        + "cached under target/vm), or -Dvigil.deb.root=DIR names one");
        assumeTrue("root".equals(System.getProperty("user.name")), "chroot, mounts and namespaces need root");
        Tools.require("unshare", "util-linux");
        Tools.require("man", "man-db");

        Path log = target.resolve("deb-test.log");
        Process test = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "--kill-child",
                checkout.resolve("src/test/deb/deb-test.sh").toString(), deb.toString(), root.toString(),
                target.resolve("deb-test").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = test.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES);
            List<String> lines = Files.readAllLines(log);
            lines.forEach(System.out::println);
            assertTrue(ended, "the package test did not end within " + LIMIT_MINUTES + " minutes");
            assertEquals(0, test.exitValue(), String.join("\n", lines));
            for (String expected : List.of("DEBTEST root has no java", "DEBTEST installed", "DEBTEST vigil --help ok",
                    "DEBTEST vigil daemon runs hello", "DEBTEST completion of live service names ok",
                    "DEBTEST vigil daemon stopped on TERM", "DEBTEST man vigil ok", "DEBTEST passed")) {
                assertTrue(lines.contains(expected), expected + " missing:\n" + String.join("\n", lines));
            }
        } finally {
            // unshare --kill-child takes the namespace's PID 1, and so every process in it, along when it dies.
            test.destroyForcibly();
            test.waitFor();
        }
    }

    /** The newest vigil_*_amd64.deb in the build directory, or null. */
    private static Path newestDeb(Path target) throws Exception {
        if (!Files.isDirectory(target)) return null;
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("vigil_.*_amd64\\.deb"))
                    .max(Comparator.comparingLong(p -> p.toFile().lastModified()))
                    .orElse(null);
        }
    }
}
