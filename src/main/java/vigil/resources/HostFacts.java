package vigil.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What systemd scales resource percentages by, read from /proc once per use (a unit load, not a restart). */
final class HostFacts {
    private HostFacts() {}

    /** MemTotal in bytes; 0 if /proc cannot say, which makes a percentage come out as 0 (and be refused). */
    static long physicalMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.substring("MemTotal:".length()).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // said by the caller's refusal of a 0 limit
        }
        return 0;
    }

    /** systemd's system_tasks_max(): the lower of kernel.pid_max and kernel.threads-max. */
    static long tasksMax() {
        return Math.min(number(Path.of("/proc/sys/kernel/pid_max")), number(Path.of("/proc/sys/kernel/threads-max")));
    }

    private static long number(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return 4_194_304; // PID_MAX_LIMIT on 64-bit
        }
    }
}
