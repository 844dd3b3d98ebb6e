package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KernelCommandLineTest {
    @Test
    void vigilTargetNamesTheTarget() {
        assertEquals(Optional.of("multi-user.target"), KernelCommandLine.target(
                "BOOT_IMAGE=/vmlinuz root=/dev/vda rw vigil.target=multi-user.target console=ttyS0\n"));
    }

    @Test
    void theRunlevelWordsOfOldPickRescueOrEmergency() {
        assertEquals(Optional.of("rescue.target"), KernelCommandLine.target("root=/dev/vda single"));
        assertEquals(Optional.of("rescue.target"), KernelCommandLine.target("root=/dev/vda S quiet"));
        assertEquals(Optional.of("emergency.target"), KernelCommandLine.target("emergency root=/dev/vda"));
    }

    @Test
    void theLastWordWinsAndInitsOwnArgumentsDoNotCount() {
        assertEquals(Optional.of("emergency.target"),
                KernelCommandLine.target("vigil.target=a.target emergency -- single"));
        assertEquals(Optional.of("b.target"), KernelCommandLine.target("single vigil.target=b.target"));
    }

    @Test
    void nothingAskedIsEmpty() {
        assertEquals(Optional.empty(), KernelCommandLine.target("root=/dev/vda console=ttyS0 vigil.target="));
        assertEquals(Optional.empty(), KernelCommandLine.target(""));
    }
}
