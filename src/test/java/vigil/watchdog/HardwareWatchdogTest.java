package vigil.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import vigil.os.Errno;
import vigil.os.OsException;
import vigil.service.VirtualClock;

/** The petting schedule and the re-arm and disarm steps, on a virtual clock with fake devices. */
class HardwareWatchdogTest {
    private final VirtualClock clock = new VirtualClock();
    private final List<String> said = new ArrayList<>();
    /** What each device was told, in order: "timeout N", "pet", "disarm". */
    private final Map<Path, List<String>> log = new HashMap<>();
    /** The timeout each fake driver takes when asked: empty for a stand-in (ENOTTY). */
    private final Map<Path, OptionalInt> driverTakes = new HashMap<>();

    private final class FakeDevice implements WatchdogDevice {
        private final Path path;

        FakeDevice(Path path) {
            this.path = path;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public OptionalInt setTimeout(int seconds) {
            log.get(path).add("timeout " + seconds);
            return driverTakes.getOrDefault(path, OptionalInt.of(seconds));
        }

        @Override
        public void pet() {
            log.get(path).add("pet");
        }

        @Override
        public void disarm() {
            log.get(path).add("disarm");
        }
    }

    private HardwareWatchdog watchdog(int runtime, int reboot, Path... devices) {
        for (Path device : devices) log.put(device, new ArrayList<>());
        return new HardwareWatchdog(new HardwareWatchdog.Settings(List.of(devices), runtime, reboot),
                path -> {
                    if (!log.containsKey(path)) throw new OsException("open", path.toString(), Errno.ENOENT);
                    return new FakeDevice(path);
                }, said::add);
    }

    private long pets(Path device) {
        return log.get(device).stream().filter("pet"::equals).count();
    }

    @Test
    void petsEveryDeviceAtHalfTheTimeoutAndStopsAtTheShutdownWithTheRebootTimeout() {
        Path a = Path.of("/dev/watchdog0"), b = Path.of("/dev/watchdog1");
        HardwareWatchdog watchdog = watchdog(10, 600, a, b);

        watchdog.arm(clock);
        assertEquals(List.of("timeout 10", "pet"), log.get(a));
        assertEquals(List.of("timeout 10", "pet"), log.get(b));

        clock.advance(Duration.ofMillis(4_999));
        assertEquals(1, pets(a), "not before half the timeout");
        clock.advance(Duration.ofMillis(1));
        assertEquals(2, pets(a));
        clock.advance(Duration.ofSeconds(50));
        assertEquals(12, pets(a));
        assertEquals(12, pets(b));

        watchdog.shuttingDown();
        assertEquals(List.of("timeout 600", "pet"), log.get(a).subList(log.get(a).size() - 2, log.get(a).size()));
        int before = log.get(a).size();
        clock.advance(Duration.ofSeconds(600));
        assertEquals(before, log.get(a).size(), "no petting during the shutdown: it must end within 600s");
        assertEquals(0, clock.pendingTimers());

        watchdog.disarm();
        assertEquals("disarm", log.get(a).getLast());
        assertEquals("disarm", log.get(b).getLast());
    }

    @Test
    void petsWithinTheShortestTimeoutADriverTook() {
        Path a = Path.of("/dev/watchdog0"), b = Path.of("/dev/watchdog1");
        driverTakes.put(b, OptionalInt.of(4));
        HardwareWatchdog watchdog = watchdog(10, 600, a, b);

        watchdog.arm(clock);

        assertEquals(Duration.ofSeconds(2), watchdog.petInterval().orElseThrow());
        clock.advance(Duration.ofSeconds(2));
        assertEquals(2, pets(a));
        assertTrue(said.stream().anyMatch(s -> s.contains("took a timeout of 4s for the 10s asked")), said.toString());
    }

    @Test
    void aStandInThatTakesNoTimeoutIsSaidOnceAndPettedAllTheSame() {
        Path fifo = Path.of("/tmp/stand-in");
        driverTakes.put(fifo, OptionalInt.empty());
        HardwareWatchdog watchdog = watchdog(6, 60, fifo);

        watchdog.arm(clock);
        clock.advance(Duration.ofSeconds(9));
        watchdog.shuttingDown();

        assertEquals(5, pets(fifo), "at 0, 3, 6 and 9 seconds, then once more at the re-arm");
        assertEquals(1, said.stream().filter(s -> s.contains("ENOTTY")).count(), said.toString());
    }

    @Test
    void noRebootTimeoutDisarmsWhenTheShutdownBegins() {
        Path a = Path.of("/dev/watchdog0");
        HardwareWatchdog watchdog = watchdog(10, 0, a);

        watchdog.arm(clock);
        watchdog.shuttingDown();

        assertEquals(List.of("timeout 10", "pet", "disarm"), log.get(a));
        assertEquals(0, clock.pendingTimers());
    }

    @Test
    void aDeviceThatCannotBeOpenedIsLeftOutAndTheOthersArePetted() {
        Path a = Path.of("/dev/watchdog0");
        log.put(a, new ArrayList<>());
        HardwareWatchdog withMissing = new HardwareWatchdog(new HardwareWatchdog.Settings(
                List.of(Path.of("/dev/missing"), a), 10, 600), path -> {
                    if (!path.equals(a)) throw new OsException("open", path.toString(), Errno.ENOENT);
                    return new FakeDevice(path);
                }, said::add);

        withMissing.arm(clock);
        clock.advance(Duration.ofSeconds(5));

        assertEquals(2, pets(a));
        assertTrue(said.stream().anyMatch(s -> s.startsWith("watchdog /dev/missing: cannot open it")), said.toString());
    }
}
