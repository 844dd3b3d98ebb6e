package vigil.watchdog;

import java.nio.file.Path;
import java.util.OptionalInt;
import vigil.os.OsException;
import vigil.os.WatchdogFd;

/** One open watchdog, as {@link HardwareWatchdog} uses it: {@link WatchdogFd} for real, a fake in tests. */
public interface WatchdogDevice {
    Path path();

    /** The seconds the driver took, or empty if it takes no timeout (a stand-in, not a watchdog driver). */
    OptionalInt setTimeout(int seconds) throws OsException;

    void pet() throws OsException;

    /** The magic close: the watchdog stops, and the device is closed. */
    void disarm() throws OsException;

    /** Opens a watchdog device, which starts it. */
    interface Opener {
        WatchdogDevice open(Path path) throws OsException;
    }

    /** The kernel's watchdog devices. */
    Opener LINUX = path -> {
        WatchdogFd fd = WatchdogFd.open(path);
        return new WatchdogDevice() {
            @Override
            public Path path() {
                return fd.path();
            }

            @Override
            public OptionalInt setTimeout(int seconds) throws OsException {
                return fd.setTimeout(seconds);
            }

            @Override
            public void pet() throws OsException {
                fd.pet();
            }

            @Override
            public void disarm() throws OsException {
                fd.disarm();
            }
        };
    };
}
