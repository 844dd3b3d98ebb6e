package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.ResourceLimits;

/** Resource control in unit files: read into the unit's spec, a bad value ignored with a warning as systemd does. */
class ResourceDirectivesTest {
    @TempDir
    Path dir;

    private UnitResult load(String text) throws IOException {
        Files.writeString(dir.resolve("s.service"), text);
        return UnitLoader.scan(List.of(dir), TestHosts.system()).load("s.service");
    }

    @Test
    void theLimitsReachTheUnitsSpecWithoutWarnings() throws IOException {
        UnitResult r = load("""
                [Service]
                ExecStart=/bin/x
                MemoryMax=50M
                TasksMax=12
                CPUQuota=20%
                Slice=web-front.slice
                OOMPolicy=continue
                """);
        var loaded = assertInstanceOf(UnitResult.Loaded.class, r);
        assertEquals(List.of(), r.diagnostics());
        ResourceLimits limits = loaded.unit().service().orElseThrow().resources();
        assertEquals(OptionalLong.of(50L << 20), limits.memoryMax());
        assertEquals(OptionalLong.of(12), limits.tasksMax());
        assertEquals(OptionalLong.of(200_000), limits.cpuQuotaMicrosPerSecond());
        assertEquals(Optional.of("web-front.slice"), limits.slice());
        assertEquals(ResourceLimits.OomPolicy.CONTINUE, limits.oomPolicy());
    }

    @Test
    void aBadValueIsAWarningNamingFileLineAndDirectiveAndTheUnitStillLoads() throws IOException {
        UnitResult r = load("[Service]\nExecStart=/bin/x\nMemoryMax=lots\nTasksMax=0\nMemoryHigh=1G\n");
        var loaded = assertInstanceOf(UnitResult.Loaded.class, r);
        Path file = dir.resolve("s.service");
        assertEquals(List.of(
                file + ":3: MemoryMax=lots: 'lots' is not a size (a number, then K, M, G, T, P or E); ignored, as"
                        + " systemd ignores it",
                file + ":4: TasksMax=0: '0' is not a task count of at least 1, a percentage or infinity; ignored, as"
                        + " systemd ignores it"),
                r.diagnostics().stream().map(Diagnostic::format).toList());
        assertEquals(Diagnostic.Kind.INVALID_VALUE, r.diagnostics().getFirst().kind());
        ResourceLimits limits = loaded.unit().service().orElseThrow().resources();
        assertEquals(OptionalLong.empty(), limits.memoryMax());
        assertEquals(OptionalLong.of(1L << 30), limits.memoryHigh());
    }
}
