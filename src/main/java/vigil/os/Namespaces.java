package vigil.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which namespaces this process is in, as far as an init needs to know. */
public final class Namespaces {
    private Namespaces() {}

    /** The inode number of the initial PID namespace (the kernel's PROC_PID_INIT_INO). */
    private static final String INITIAL_PID_NAMESPACE = "pid:[4026531836]";

    /**
     * Whether this process is in the machine's first PID namespace, where PID 1 exiting panics the kernel; true
     * if it cannot be told (no /proc yet), since that is the case to be careful in. In any other, PID 1 is a
     * container's init, and its exit ends the container.
     */
    public static boolean inInitialPidNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().equals(INITIAL_PID_NAMESPACE);
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }
}
