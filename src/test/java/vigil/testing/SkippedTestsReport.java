package vigil.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Writes down every test that did not run, with why and what would make it run, so that a run which skipped the
 * compatibility tests is never mistaken for a full one. Each test JVM (surefire's, failsafe's, each fuzzer's)
 * appends to its own file under {@code vigil.skipped.dir}; {@code build/skipped-tests} prints them all at the end
 * of the build. Registered through {@code META-INF/services}, so no test has to opt in.
 */
public final class SkippedTestsReport implements TestExecutionListener {
    /**
     * The install that would enable the test, in the ways the suite's reasons name a package: "(Debian package
     * runit)", "apt-get install runit", "svlogd (runit) is not installed", "sshd is not installed (openssh-server)".
     */
    private static final Pattern PACKAGE = Pattern.compile("\\(Debian package ([a-z0-9.+-]+)\\)|apt-get install ([a-z0-9.+ -]+)"
            + "|\\(([a-z0-9.+-]+)\\) is not installed|is not installed \\(([a-z0-9.+-]+)\\)");

    private final List<String> lines = new ArrayList<>();
    private TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            record(test, reason.replaceFirst("^Assumption failed: ", ""));
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        String dir = System.getProperty("vigil.skipped.dir");
        if (dir == null || lines.isEmpty()) {
            return;
        }
        Path file = Path.of(dir, "skipped-" + ProcessHandle.current().pid() + ".txt");
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot write the list of skipped tests to " + file + ": " + e);
        }
    }

    private void record(TestIdentifier test, String reason) {
        String enable = enablingCommand(reason);
        lines.add(name(test) + "\t" + reason.replace('\n', ' ') + "\t" + enable);
    }

    private String name(TestIdentifier test) {
        String display = test.getDisplayName();
        return plan == null ? display : plan.getParent(test)
                .map(parent -> parent.getDisplayName() + "." + display)
                .orElse(display);
    }

    /** The command that would let the test run: an install where the reason names a package, else root. */
    static String enablingCommand(String reason) {
        Matcher m = PACKAGE.matcher(reason);
        if (m.find()) {
            String pkg = java.util.stream.IntStream.rangeClosed(1, m.groupCount())
                    .mapToObj(m::group).filter(java.util.Objects::nonNull).findFirst().orElseThrow().trim();
            return "apt-get install " + pkg + "   (or run the suite as root: build/test-deps installs it)";
        }
        // A reason that names its own command (the VM test's, the package's) says best how to run it.
        int command = reason.indexOf("./mvnw ");
        if (command >= 0) return reason.substring(command).replaceFirst(" [(].*", "");
        if (reason.startsWith("root read")) {
            return "run the suite as a user other than root: the test checks an error root never gets";
        }
        return "run the suite as root on a machine with cgroups and namespaces (sudo ./mvnw verify)";
    }
}
