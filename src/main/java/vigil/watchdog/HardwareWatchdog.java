package vigil.watchdog;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import vigil.os.OsException;
import vigil.service.Clock;

/**
 * The hardware watchdogs Vigil keeps from resetting the machine, as rund does, and systemd with
 * {@code RuntimeWatchdogSec=} and {@code RebootWatchdogSec=}. They are petted from the event loop, on a timer at
 * half the timeout: a loop that hangs stops the petting, and the hardware resets the machine. When the shutdown
 * begins, each is set to the reboot timeout and left alone: the whole end (services stopped, the shutdown script,
 * the disks released, reboot(2)) must come within it, or the hardware resets the machine. A clean exit (a daemon's,
 * a container's init's) disarms them with the magic close; reboot(2) leaves them counting, in case it hangs.
 */
public final class HardwareWatchdog {
    /** systemd's defaults: RuntimeWatchdogSec= has none (off), RebootWatchdogSec= is 10 minutes. */
    public static final int DEFAULT_RUNTIME_SECONDS = 30, DEFAULT_REBOOT_SECONDS = 600;

    /**
     * @param devices        the watchdog devices, all petted alike (a machine may have several, as rund allows)
     * @param runtimeSeconds the timeout while Vigil runs
     * @param rebootSeconds  the timeout set when the shutdown begins; 0 disarms them then instead
     */
    public record Settings(List<Path> devices, int runtimeSeconds, int rebootSeconds) {
        public Settings {
            devices = List.copyOf(devices);
            if (devices.isEmpty()) throw new IllegalArgumentException("no watchdog device");
            if (runtimeSeconds < 2) {
                throw new IllegalArgumentException("--watchdog-sec must be 2 or more (it is petted at half of it): "
                        + runtimeSeconds);
            }
            if (rebootSeconds < 0) {
                throw new IllegalArgumentException("--watchdog-reboot-sec must be 0 (off) or more: " + rebootSeconds);
            }
        }
    }

    private enum Phase { IDLE, RUNNING, SHUTTING_DOWN, DISARMED }

    private final Settings settings;
    private final WatchdogDevice.Opener opener;
    private final Consumer<String> say;
    private final List<WatchdogDevice> devices = new ArrayList<>();
    /** Devices whose last pet failed: said once, until a pet works again. */
    private final Set<Path> failing = new HashSet<>();
    private Phase phase = Phase.IDLE;
    private Clock clock;
    private Clock.Timer petting;
    private Duration interval;

    public HardwareWatchdog(Settings settings, WatchdogDevice.Opener opener, Consumer<String> say) {
        this.settings = settings;
        this.opener = opener;
        this.say = say;
    }

    /**
     * Opens every device (which starts it), sets its timeout and pets it, then pets them all on {@code clock}'s
     * timers at half the shortest timeout a driver took. A device that cannot be opened is said and left out.
     */
    public void arm(Clock clock) {
        if (phase != Phase.IDLE) return;
        this.clock = clock;
        phase = Phase.RUNNING;
        int shortest = settings.runtimeSeconds();
        for (Path path : settings.devices()) {
            WatchdogDevice device;
            try {
                device = opener.open(path);
            } catch (OsException e) {
                say.accept("watchdog " + path + ": cannot open it: " + e.getMessage());
                continue;
            }
            devices.add(device);
            shortest = Math.min(shortest, setTimeout(device, settings.runtimeSeconds()));
        }
        if (devices.isEmpty()) return;
        interval = Duration.ofMillis(shortest * 1000L / 2);
        petAll();
        say.accept("watchdog: " + devices.size() + " device(s) armed with " + settings.runtimeSeconds()
                + "s, petted every " + interval.toMillis() + "ms");
        scheduleNextPet();
    }

    /** The shutdown began: the reboot timeout is set and the petting stops, or with none they are disarmed. */
    public void shuttingDown() {
        if (phase != Phase.RUNNING) return;
        phase = Phase.SHUTTING_DOWN;
        if (petting != null) petting.cancel();
        if (devices.isEmpty()) return;
        if (settings.rebootSeconds() == 0) {
            disarm();
            return;
        }
        for (WatchdogDevice device : devices) setTimeout(device, settings.rebootSeconds());
        petAll();
        say.accept("watchdog: re-armed with " + settings.rebootSeconds() + "s for the shutdown");
    }

    /** A clean exit: the magic close to every device. Nothing to do if none was opened. */
    public void disarm() {
        if (petting != null) petting.cancel();
        phase = Phase.DISARMED;
        for (WatchdogDevice device : devices) {
            try {
                device.disarm();
            } catch (OsException e) {
                say.accept("watchdog " + device.path() + ": cannot disarm it: " + e.getMessage());
            }
        }
        if (!devices.isEmpty()) say.accept("watchdog: disarmed");
        devices.clear();
    }

    /** How often the devices are petted while Vigil runs; empty before {@link #arm} or with no device open. */
    public java.util.Optional<Duration> petInterval() {
        return java.util.Optional.ofNullable(interval);
    }

    /** The seconds to pet within: those the driver took, or {@code seconds} for a stand-in that takes none. */
    private int setTimeout(WatchdogDevice device, int seconds) {
        try {
            OptionalInt took = device.setTimeout(seconds);
            if (took.isEmpty()) {
                if (phase == Phase.RUNNING) {
                    say.accept("watchdog " + device.path() + ": takes no timeout (ENOTTY: not a watchdog driver, a "
                            + "stand-in); petting it all the same");
                }
                return seconds;
            }
            if (took.getAsInt() != seconds) {
                say.accept("watchdog " + device.path() + ": the driver took a timeout of " + took.getAsInt()
                        + "s for the " + seconds + "s asked");
            }
            return took.getAsInt() > 0 ? took.getAsInt() : seconds;
        } catch (OsException e) {
            say.accept("watchdog " + device.path() + ": " + e.getMessage() + "; petting it within " + seconds
                    + "s all the same");
            return seconds;
        }
    }

    private void scheduleNextPet() {
        petting = clock.schedule(interval, () -> {
            if (phase != Phase.RUNNING) return;
            petAll();
            scheduleNextPet();
        });
    }

    private void petAll() {
        for (WatchdogDevice device : devices) {
            try {
                device.pet();
                failing.remove(device.path());
            } catch (OsException e) {
                if (failing.add(device.path())) {
                    say.accept("watchdog " + device.path() + ": cannot pet it: " + e.getMessage());
                }
            }
        }
    }
}
