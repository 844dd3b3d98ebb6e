package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.daemon.LeftoverCheck.Recorded;

class UnitPidFilesTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    private final Reporter reporter = new Reporter(new PrintStream(said, true, StandardCharsets.UTF_8));

    @Test
    void aDirectoryOthersMayEnterIsNeitherWrittenNorBelieved() throws Exception {
        Path units = Files.createDirectory(dir.resolve("units"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertTrue(UnitPidFiles.open(units, reporter).isEmpty());
        assertTrue(said.toString().contains(units + " is not a directory of uid"), said.toString());
    }

    @Test
    void aDirectoryAnotherRunningVigilKeepsIsLeftToIt() throws Exception {
        Path units = dir.resolve("units");
        try (UnitPidFiles first = UnitPidFiles.open(units, reporter).orElseThrow()) {
            Files.writeString(units.resolve("web.service"), "stop 15 0\nmain 4321 1796663852 0\n");
            assertTrue(UnitPidFiles.open(units, reporter).isEmpty());
            assertTrue(said.toString().contains("is kept by another running Vigil"), said.toString());
            assertTrue(Files.exists(units.resolve("web.service")), "its records are not taken");
        }
    }

    @Test
    void aMissingDirectoryIsMadeClosedToOthers() throws Exception {
        Path units = dir.resolve("units");
        try (UnitPidFiles files = UnitPidFiles.open(units, reporter).orElseThrow()) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(units)));
        }
    }

    @Test
    void whatAPreviousVigilWroteIsReadOnceAndOnlyFromItsOwnFiles() throws Exception {
        Path units = dir.resolve("units");
        try (UnitPidFiles files = UnitPidFiles.open(units, reporter).orElseThrow()) {
            Files.writeString(units.resolve("web.service"),
                    "stop 2 90\nmain 4321 1796663852 247921011\ncontrol 4322 1796663853 0\n");
            Path forged = Files.writeString(units.resolve("forged.service"), "stop 15 0\nmain 1234 1 0\n");
            Files.setAttribute(forged, "unix:uid", 65534);
            Files.writeString(units.resolve("garbage.service"), "main x\n");

            List<UnitPidFiles.RecordedUnit> recorded = files.takeRecorded();

            assertEquals(List.of(new UnitPidFiles.RecordedUnit("web.service", 2, Duration.ofSeconds(90),
                    List.of(new Recorded(4321, Instant.ofEpochSecond(1796663852, 247921011)),
                            new Recorded(4322, Instant.ofEpochSecond(1796663853, 0))))), recorded);
            assertTrue(said.toString().contains("forged.service is not a regular file owned by uid"),
                    said.toString());
            assertTrue(said.toString().contains("garbage.service: cannot read"), said.toString());
            try (var left = Files.list(units)) {
                assertFalse(left.anyMatch(f -> f.getFileName().toString().endsWith(".service")),
                        "every record is read once, then removed");
            }
        }
    }
}
