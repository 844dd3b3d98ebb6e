package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vigil.model.ExecOptions;
import vigil.os.ExecSpec;

/**
 * A unit's capability settings as vigil-exec applies them on this kernel: only the capabilities the kernel has
 * ({@code /proc/sys/kernel/cap_last_cap}; PR_CAPBSET_DROP refuses others), and keep-caps added to the securebits when
 * the ambient set must survive the switch to another user (setuid clears the permitted set without it, and a
 * capability that is not permitted cannot be ambient), as systemd's enforce_user() adds it.
 */
final class KernelCapabilities {
    /** SECBIT_KEEP_CAPS. */
    private static final int KEEP_CAPS = 1 << 4;
    /** Every capability of the running kernel; read once, it cannot change while Vigil runs. */
    private static final long KNOWN = known();

    private KernelCapabilities() {}

    static ExecSpec.Capabilities spec(ExecOptions.CapabilitySets sets, boolean switchesFromRoot) {
        if (sets.equals(ExecOptions.CapabilitySets.NONE)) return ExecSpec.Capabilities.NONE;
        long ambient = sets.ambient() & KNOWN;
        int secureBits = sets.secureBits() | (ambient != 0 && switchesFromRoot ? KEEP_CAPS : 0);
        return new ExecSpec.Capabilities(~sets.boundingSet() & KNOWN, secureBits, ambient);
    }

    private static long known() {
        try {
            // Read by lines: some kernels (gVisor's) give a /proc/sys file a size of 1, and readString reads that much.
            int last = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).getFirst()
                    .strip());
            return last >= 63 ? -1L : (1L << (last + 1)) - 1;
        } catch (IOException | RuntimeException e) {
            // No /proc (a chroot without it): CAP_CHECKPOINT_RESTORE (40), the last one Linux 6.x knows.
            return (1L << 41) - 1;
        }
    }
}
