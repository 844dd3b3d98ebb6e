package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import vigil.os.Signals;
import vigil.service.Service;
import vigil.service.Supervisor;
import vigil.service.UnitService;

/**
 * A second TERM or INT while the daemon is stopping: whoever sent it will not wait any longer, so everything still
 * running gets SIGKILL, and the daemon exits even if a process outlives that (uninterruptible sleep).
 */
final class ShutdownEscalation {
    private ShutdownEscalation() {}

    /** How long the stop may still take after the KILL before the daemon exits regardless. */
    static final Duration LAST_WAIT = Duration.ofSeconds(10);

    /**
     * SIGKILL to every service's processes: one {@code cgroup.kill} of the whole slice where there are cgroups,
     * which also reaches what left a service's process group; the main processes one by one otherwise.
     */
    static void killEverything(ProcessTracking tracking, Supervisor supervisor, Reporter reporter) {
        if (tracking.cgroups().isPresent()) {
            try {
                Files.writeString(tracking.cgroups().get().slice().resolve("cgroup.kill"), "1");
                return;
            } catch (IOException e) {
                reporter.say("cannot kill " + tracking.cgroups().get().slice() + " at once (" + e.getMessage()
                        + "); killing the services one by one");
            }
        }
        for (Service service : supervisor.services()) service.signal(Signals.SIGKILL);
        for (UnitService unit : supervisor.units()) unit.signal(Signals.SIGKILL);
    }
}
