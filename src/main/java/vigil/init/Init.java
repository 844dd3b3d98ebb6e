package vigil.init;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import vigil.control.ControlLimits;
import vigil.daemon.CriticalServices;
import vigil.daemon.Daemon;
import vigil.daemon.Duties;
import vigil.daemon.StopCause;
import vigil.daemon.TrackingOptions;
import vigil.http.HttpOptions;
import vigil.log.TimestampFormat;
import vigil.os.Ending;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Power;
import vigil.reexec.Handover;
import vigil.watchdog.HardwareWatchdog;
import vigil.watchdog.WatchdogDevice;

/**
 * {@code vigil init}: Vigil as PID 1, in runit's three stages. The boot script runs to its end, the daemon then
 * supervises until a signal (or {@code vigil shutdown}) says how the system should end, the shutdown script runs,
 * every process left is stopped, and reboot(2) ends the system. Nothing here returns: PID 1 exiting panics the
 * kernel, so a failure anywhere ends in the same shutdown, with {@link Ending#HALT} (the console keeps what went
 * wrong on screen, where a reboot would loop).
 *
 * @param boot     run first, to its end (runit's /etc/runit/1); exit 100 skips to the shutdown, as in runit
 * @param shutdown run once the services are stopped, with "poweroff", "reboot" or "halt" as its argument
 * @param target   the target the units start with ({@code --target}); default.target if empty
 * @param reexec   what the init before this exec handed over ({@code daemon-reexec}): the boot is over, and
 *                 stage 2 goes on where it was
 * @param watchdog the hardware watchdogs to pet from stage 2 on ({@code --watchdog-device})
 */
public record Init(Optional<Path> boot, Optional<Path> shutdown, List<Path> roots, List<Path> unitDirectories,
                   Optional<String> target, Path control, Path logDir, TimestampFormat timestamps,
                   Optional<Handover> reexec, Optional<HardwareWatchdog.Settings> watchdog) {
    /** A fresh start, from stage 1, with no hardware watchdog. */
    public Init(Optional<Path> boot, Optional<Path> shutdown, List<Path> roots, List<Path> unitDirectories,
                Optional<String> target, Path control, Path logDir, TimestampFormat timestamps) {
        this(boot, shutdown, roots, unitDirectories, target, control, logDir, timestamps, Optional.empty(),
                Optional.empty());
    }

    /** How long the shutdown script may take before the init goes on without it. */
    static final Duration SHUTDOWN_SCRIPT_LIMIT = Duration.ofSeconds(90);
    /** How long processes left at the end get after TERM, and then after KILL. */
    static final Duration TERM_GRACE = Duration.ofSeconds(5), KILL_GRACE = Duration.ofSeconds(5);
    /** runit's exit code of stage 1 that means "skip stage 2". */
    static final int SKIP_TO_SHUTDOWN = 100;

    /** Runs the system to its end; never returns. */
    public void run(PrintStream console) {
        run(console, Optional.empty());
    }

    /** As {@link #run(PrintStream)}, serving metrics, probes and the status page as {@code --http} asks. */
    public void run(PrintStream console, Optional<HttpOptions> http) {
        Stages stages;
        Duties duties;
        try {
            Consumer<String> say = line -> console.println("vigil init: " + line);
            stages = new Stages(new LinuxInitOs(), say);
            duties = new Duties(new CriticalServices(), watchdog.map(settings -> new HardwareWatchdog(settings,
                    WatchdogDevice.LINUX, say)), Optional.empty());
        } catch (OsException | RuntimeException e) {
            console.println("vigil init: cannot set up: " + e);
            halt();
            return;
        }
        try {
            // Ctrl-Alt-Del then sends INT to PID 1 (a reboot, in order) instead of rebooting at once. A PID
            // namespace's init cannot change it (EINVAL), and has no keyboard of its own.
            try {
                Power.reboot(Power.CAD_OFF);
            } catch (OsException ignored) {
                // Not the machine's init.
            }
            supervise(stages, duties, console, http);
        } catch (Throwable t) {
            console.println("vigil init: internal error: " + t);
            t.printStackTrace(console);
        }
        try {
            stages.decide(Ending.HALT);
            if (shutdown.isPresent()) {
                Path script = shutdown.get();
                String word = stages.ending().orElseThrow().word();
                stages.runScript(script, List.of(script.toString(), word), Optional.of(SHUTDOWN_SCRIPT_LIMIT));
            }
            stages.stopEverything(TERM_GRACE, KILL_GRACE);
            stages.releaseDisks();
            // A container's init that exits leaves cleanly: its watchdog is disarmed. reboot(2) leaves it counting.
            stages.exitWith(duties.critical().exitCode(),
                    () -> duties.watchdog().ifPresent(HardwareWatchdog::disarm));
            stages.end();
        } catch (Throwable t) {
            console.println("vigil init: internal error while shutting down: " + t);
            halt();
        }
    }

    /** Stages 1 and 2, until the ending is decided. */
    private void supervise(Stages stages, Duties duties, PrintStream console, Optional<HttpOptions> http) {
        if (boot.isPresent() && reexec.isEmpty()) {
            Path script = boot.get();
            Optional<ExitStatus> booted = stages.runScript(script, List.of(script.toString()), Optional.empty());
            if (booted.filter(status -> status.code() == SKIP_TO_SHUTDOWN).isPresent()) {
                console.println("vigil init: " + script + " exited " + SKIP_TO_SHUTDOWN
                        + ": no services, shutting down");
                stages.decide(Ending.POWER_OFF);
                return;
            }
            if (booted.isEmpty() || booted.get().code() != 0) {
                console.println("vigil init: " + script + ": "
                        + booted.map(ExitStatus::describe).orElse("did not run") + "; the boot failed");
                stages.emergencyShell();
                console.println("vigil init: starting the services");
            }
        }
        if (stages.ending().isPresent()) {
            console.println("vigil init: not starting the services");
            return;
        }
        AtomicReference<Ending> requested = new AtomicReference<>(Ending.POWER_OFF);
        int code = Daemon.run(roots, unitDirectories, control, logDir, timestamps, ControlLimits.DEFAULT, target,
                console, EndingSignals.SIGNALS,
                cause -> requested.set(switch (cause) {
                    case StopCause.Signalled s -> EndingSignals.forSignal(s.signal()).orElse(Ending.POWER_OFF);
                    case StopCause.Requested r -> r.then().orElse(Ending.POWER_OFF);
                    // A container ends with its critical service; a machine's init powers off.
                    case StopCause.CriticalEnded c -> Ending.POWER_OFF;
                }), reexec, TrackingOptions.DEFAULT, duties, http);
        // The daemon heard the signal that stopped it; the stages heard it too, and must not take it as news.
        stages.forgetSignals();
        stages.decide(code == 0 ? requested.get() : Ending.HALT);
    }

    /** The last resort when not even the stages can be set up. */
    private static void halt() {
        Power.sync();
        try {
            Power.reboot(Power.HALT);
        } catch (OsException ignored) {
            // Nothing left to try; PID 1 must still not exit.
        }
        while (true) java.util.concurrent.locks.LockSupport.park();
    }
}
