package vigil.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

class SkippedTestsReportTest {
    /** Run by the test below through its own launcher, never by surefire (which leaves nested classes alone). */
    static class Sample {
        @Test
        void runs() {}

        @Test
        void needsATool() {
            assumeTrue(false, "svlogd is not installed (Debian package runit)");
        }

        @Test
        @Disabled("not on this kernel")
        void disabled() {}
    }

    @Test
    void everyTestThatDidNotRunIsWrittenDownWithWhyAndHowToEnableIt(@TempDir Path dir) throws Exception {
        String before = System.getProperty("vigil.skipped.dir");
        System.setProperty("vigil.skipped.dir", dir.toString());
        try {
            // Not auto-registered as well: the one under test is the only listener.
            Launcher launcher = LauncherFactory.create(
                    LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build());
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Sample.class)).build(),
                    new SkippedTestsReport());
        } finally {
            if (before == null) System.clearProperty("vigil.skipped.dir");
            else System.setProperty("vigil.skipped.dir", before);
        }
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.toList();
        }
        assertEquals(1, files.size(), files.toString());
        List<String> lines = Files.readAllLines(files.getFirst());
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("Sample.needsATool()\tsvlogd is not installed")
                && l.contains("\tapt-get install runit")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("Sample.disabled()\tnot on this kernel\t")
                && l.contains("as root")), lines.toString());
    }

    @Test
    void thePackageIsTakenFromEitherWayAReasonNamesIt() {
        assertTrue(SkippedTestsReport.enablingCommand("needs redis (Debian package redis-server)")
                .startsWith("apt-get install redis-server "));
        assertTrue(SkippedTestsReport.enablingCommand("run: apt-get install postgresql-15")
                .startsWith("apt-get install postgresql-15 "));
        assertTrue(SkippedTestsReport.enablingCommand("svlogd (runit) is not installed").startsWith("apt-get install runit "));
        assertEquals("./mvnw verify -Pdeb builds it",
                SkippedTestsReport.enablingCommand("no Debian package in target/: ./mvnw verify -Pdeb builds it"));
        assertTrue(SkippedTestsReport.enablingCommand("root reads any file").contains("other than root"));
        assertTrue(SkippedTestsReport.enablingCommand("sshd is not installed (openssh-server)")
                .startsWith("apt-get install openssh-server "));
    }
}
