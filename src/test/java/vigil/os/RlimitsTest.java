package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RlimitsTest {
    private static final int CAP_SYS_RESOURCE = 24;

    @Test
    void raisesTheSoftLimitAndReturnsTheOriginal() throws Exception {
        Rlimits.Limit before = Rlimits.openFiles();
        Rlimits.Limit lowered = new Rlimits.Limit(Math.min(before.hard(), 512), before.hard());
        Rlimits.setOpenFiles(lowered);
        try {
            Rlimits.Limit original = Rlimits.raiseOpenFilesLimit();
            assertEquals(lowered, original);
            long nrOpen = Long.parseLong(Files.readString(Path.of("/proc/sys/fs/nr_open")).strip());
            long expectedHard = mayRaiseHardLimits() ? Math.max(before.hard(), Math.min(nrOpen, 1 << 20))
                    : before.hard();
            assertEquals(new Rlimits.Limit(expectedHard, expectedHard), Rlimits.openFiles());
        } finally {
            Rlimits.setOpenFiles(before);
        }
        assertEquals(before, Rlimits.openFiles());
    }

    private static boolean mayRaiseHardLimits() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                return (caps & 1L << CAP_SYS_RESOURCE) != 0;
            }
        }
        return false;
    }
}
