package vigil.unit;

import java.nio.file.Path;
import java.util.Map;

/** Fixed hosts, so specifier tests do not depend on the machine they run on. */
final class TestHosts {
    private TestHosts() {}

    static final Map<String, String> OS_RELEASE = Map.of("ID", "debian", "VERSION_ID", "12");

    /** The system manager (Vigil as root). */
    static Host system() {
        return new Host(true, "root", 0, "root", 0, Path.of("/root"), "/bin/sh", "box.example.org",
                "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "6.1.0-test", "x86-64",
                OS_RELEASE, Map.of("TMPDIR", "/scratch"));
    }

    /** A user manager for uid 1000 with the given environment. */
    static Host user(Map<String, String> environment) {
        return new Host(false, "alice", 1000, "staff", 50, Path.of("/home/alice"), "/bin/bash", "box",
                "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "6.1.0-test", "arm64",
                OS_RELEASE, environment);
    }
}
