package vigil.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;
import vigil.watchdog.HardwareWatchdog;

/** The hardware watchdog's options, shared by vigil init and vigil daemon. */
final class WatchdogOptions {
    @Option(names = "--watchdog-device", paramLabel = "PATH",
            description = "a hardware watchdog to pet from the event loop, so that a hung Vigil resets the machine "
                    + "(repeat it for several); e.g. /dev/watchdog0")
    List<Path> devices = new ArrayList<>();

    @Option(names = "--watchdog-sec", paramLabel = "N",
            description = "the watchdog's timeout while Vigil runs, in seconds; petted at half of it (default "
                    + HardwareWatchdog.DEFAULT_RUNTIME_SECONDS + ")")
    int runtimeSeconds = HardwareWatchdog.DEFAULT_RUNTIME_SECONDS;

    @Option(names = "--watchdog-reboot-sec", paramLabel = "N",
            description = "the timeout set when the shutdown begins, within which the end must come; 0 disarms "
                    + "the watchdog then (default " + HardwareWatchdog.DEFAULT_REBOOT_SECONDS + ")")
    int rebootSeconds = HardwareWatchdog.DEFAULT_REBOOT_SECONDS;

    /**
     * The settings, if a device was given.
     *
     * @throws IllegalArgumentException naming the option that is out of range
     */
    Optional<HardwareWatchdog.Settings> settings() {
        if (devices.isEmpty()) return Optional.empty();
        List<Path> absolute = devices.stream().map(Path::toAbsolutePath).toList();
        return Optional.of(new HardwareWatchdog.Settings(absolute, runtimeSeconds, rebootSeconds));
    }
}
