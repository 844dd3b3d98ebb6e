package vigil.init;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The target the kernel's command line asks for, as systemd reads {@code systemd.unit=}: {@code vigil.target=NAME},
 * or a bare {@code single}, {@code s}, {@code S}, {@code 1} or {@code rescue} (rescue.target) or {@code emergency}
 * or {@code -b} (emergency.target). The last word that says one wins, as the kernel's own parameters do.
 * The kernel keeps a dotted parameter from init's arguments (it takes it for a module's), so it is read from
 * /proc/cmdline.
 */
public final class KernelCommandLine {
    private KernelCommandLine() {}

    private static final String TARGET = "vigil.target=";

    /** The target {@code cmdline} asks for, if any. */
    public static Optional<String> target(String cmdline) {
        String target = null;
        for (String word : cmdline.trim().split("\\s+")) {
            // After "--" the words are init's own arguments, not the kernel's.
            if (word.equals("--")) break;
            if (word.startsWith(TARGET) && word.length() > TARGET.length()) {
                target = word.substring(TARGET.length());
            } else {
                target = switch (word) {
                    case "single", "s", "S", "1", "rescue" -> "rescue.target";
                    case "emergency", "-b" -> "emergency.target";
                    default -> target;
                };
            }
        }
        return Optional.ofNullable(target);
    }

    /** The target this machine's kernel command line asks for; empty if none, or if it cannot be read. */
    public static Optional<String> target() {
        try {
            return target(Files.readString(Path.of("/proc/cmdline"), StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
