package vigil.daemon;

import java.time.Duration;
import java.util.Objects;

/**
 * How a daemon follows and stops its services' processes.
 *
 * @param cgroups            a cgroup per service where Vigil may make them ({@code --no-cgroups}: process groups and
 *                           sessions only, as before cgroups, for comparison and for hosts where they misbehave)
 * @param defaultStopTimeout how long a stop waits before the final SIGKILL where a service sets no time of its own:
 *                           systemd's {@code DefaultTimeoutStopSec=} ({@code --default-timeout-stop})
 */
public record TrackingOptions(boolean cgroups, Duration defaultStopTimeout) {
    public static final TrackingOptions DEFAULT = new TrackingOptions(true, Duration.ofSeconds(90));

    public TrackingOptions {
        Objects.requireNonNull(defaultStopTimeout);
        if (defaultStopTimeout.isNegative() || defaultStopTimeout.isZero()) {
            throw new IllegalArgumentException("the default stop timeout must be positive");
        }
    }
}
