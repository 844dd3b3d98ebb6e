package vigil.init;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import vigil.os.Ending;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Reaped;
import vigil.os.Signals;

/**
 * The init's own steps around the daemon, as runit's stages 1 and 3 frame its stage 2: run the boot and shutdown
 * scripts, then stop every process left and end the system. As PID 1 every orphan of the system is this process's
 * child, so each wait here also reaps whatever else exits meanwhile.
 */
public final class Stages {
    private final InitOs os;
    private final Consumer<String> say;
    /** How the system is to end, once a signal or the daemon said so; null until then. */
    private Ending ending;
    /** What a container's init exits with: its critical service's exit code, else 0. */
    private int exitCode;
    /** Run just before a container's init exits (the watchdog's disarming). */
    private Runnable beforeExit = () -> {};

    /** @param say receives one line per event for the console */
    public Stages(InitOs os, Consumer<String> say) {
        this.os = os;
        this.say = say;
    }

    /**
     * Runs a stage script to its end. Empty if it could not start (said why) or had not ended within
     * {@code limit}: then it is left to the final TERM and KILL of {@link #stopEverything}.
     */
    public Optional<ExitStatus> runScript(Path script, List<String> argv, Optional<Duration> limit) {
        int pid;
        try {
            pid = os.start(script, argv);
        } catch (OsException e) {
            say.accept(script + ": cannot run it: " + e.getMessage());
            return Optional.empty();
        }
        long started = os.nanoTime();
        try {
            while (true) {
                for (Reaped exited : os.reap().exited()) {
                    if (exited.pid() == pid) return Optional.of(exited.status());
                }
                if (limit.isEmpty()) {
                    await(Long.MAX_VALUE);
                    continue;
                }
                long remaining = limit.get().toNanos() - (os.nanoTime() - started);
                if (remaining <= 0) {
                    say.accept(script + ": still running after " + limit.get().toSeconds()
                            + "s; going on without it");
                    return Optional.empty();
                }
                await(remaining);
            }
        } catch (OsException e) {
            say.accept(script + ": cannot wait for it: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Stops every process left: TERM (and CONT, so a stopped one can act on it), then KILL for those still there
     * after {@code termGrace}, then waits at most {@code killGrace} for the last to go (a process stuck in the
     * kernel may never).
     */
    public void stopEverything(Duration termGrace, Duration killGrace) {
        try {
            if (!os.signalEveryOtherProcess(Signals.SIGTERM)) return;
            os.signalEveryOtherProcess(Signals.SIGCONT);
            say.accept("sent TERM to every process left");
            if (awaitNoChildren(termGrace)) return;
            if (os.signalEveryOtherProcess(Signals.SIGKILL)) {
                say.accept("sent KILL to the processes still there after " + termGrace.toSeconds() + "s");
                if (!awaitNoChildren(killGrace)) say.accept("some processes did not die; ending the system anyway");
            }
        } catch (OsException e) {
            say.accept("cannot stop the processes left: " + e.getMessage());
        }
    }

    /**
     * Unmounts or makes read-only every file system, and detaches swap and loop devices (see {@link DiskRelease}):
     * the machine's init only. A container's file systems are its host's (a remount read-only of its root would
     * be the host's root), and its mounts go with its mount namespace.
     */
    public void releaseDisks() {
        if (os.machineInit()) new DiskRelease(os, say).run();
    }

    /** Where an emergency shell is looked for, in order: sulogin asks for root's password first, where set. */
    static final List<Path> EMERGENCY_SHELLS = List.of(Path.of("/sbin/sulogin"), Path.of("/usr/sbin/sulogin"),
            Path.of("/bin/sh"));

    /**
     * After a failed boot, runs an emergency shell on the console, as runit's and systemd's inits do, and returns
     * once it has exited: the boot goes on. The machine's init only: a container has no console to give one on.
     */
    public void emergencyShell() {
        if (!os.machineInit()) return;
        for (Path shell : EMERGENCY_SHELLS) {
            if (!os.executable(shell)) continue;
            say.accept("starting an emergency shell (" + shell + "); exit it to go on with the boot");
            runScript(shell, List.of(shell.toString()), Optional.empty());
            say.accept("the emergency shell exited; going on with the boot");
            return;
        }
        say.accept("no emergency shell (" + EMERGENCY_SHELLS.getLast() + " is missing); going on with the boot");
    }

    private void exit() {
        beforeExit.run();
        os.exit(exitCode);
    }

    /** Reaps until no child is left (true) or {@code timeout} has passed (false). */
    private boolean awaitNoChildren(Duration timeout) throws OsException {
        long deadline = os.nanoTime() + timeout.toNanos();
        while (os.reap().childrenLeft()) {
            long remaining = deadline - os.nanoTime();
            if (remaining <= 0) return false;
            await(remaining);
        }
        return true;
    }

    /** Waits as {@link InitOs#await}; a signal that asks for an ending decides it, if none was decided yet. */
    private void await(long timeoutNanos) throws OsException {
        long signals = os.await(timeoutNanos);
        for (int signal = 1; signals != 0; signal++, signals >>>= 1) {
            if ((signals & 1) == 0) continue;
            String name = Signals.name(signal).substring("SIG".length());
            Optional<Ending> asked = EndingSignals.forSignal(signal);
            if (asked.isEmpty()) continue;
            if (ending == null) {
                ending = asked.get();
                say.accept("got " + name + ": " + ending.word() + " next");
            } else {
                say.accept("got " + name + ": already on the way to " + ending.word());
            }
        }
    }

    /** Drops the signals that came and were not waited for yet. */
    public void forgetSignals() {
        try {
            os.await(0);
        } catch (OsException e) {
            // Then there is nothing to forget.
        }
    }

    /** The ending decided so far, if any. */
    public Optional<Ending> ending() {
        return Optional.ofNullable(ending);
    }

    /** Decides the ending, unless a signal did first. */
    public void decide(Ending decided) {
        if (ending == null) ending = decided;
    }

    /** What a container's init is to exit with, and what to do just before. */
    public void exitWith(int code, Runnable before) {
        exitCode = code;
        beforeExit = before;
    }

    /**
     * Syncs the disks and ends the system. Never returns. A container's init (PID 1 of a PID namespace but the
     * first) powering off or halting exits with {@link #exitWith its exit code}, which its runtime reports as the
     * container's, as tini's; its reboot is still reboot(2), which ends it with SIGHUP, the sign that runtimes
     * (LXC's) take for a reboot. If reboot(2) fails, the machine's init says so and goes on reaping, since its exit
     * would panic the kernel; a container's init (commonly without CAP_SYS_BOOT) exits, which ends the container.
     */
    public void end() {
        Ending ending = this.ending != null ? this.ending : Ending.HALT;
        say.accept("syncing disks; " + ending.word());
        os.sync();
        if (!os.machineInit() && ending != Ending.REBOOT) {
            say.accept("a container's init: exiting " + exitCode);
            exit();
        }
        try {
            os.reboot(ending);
            say.accept("reboot(2) returned without ending the system");
        } catch (OsException e) {
            if (!os.machineInit()) {
                say.accept("cannot " + ending.word() + " (" + e.getMessage() + "); a container's init: exiting "
                        + exitCode);
                exit();
            }
            say.accept("cannot " + ending.word() + ": " + e.getMessage() + "; staying up, reaping orphans");
        }
        while (true) {
            try {
                os.reap();
                os.await(Long.MAX_VALUE);
            } catch (OsException e) {
                // Nothing to report it to that would change anything; PID 1 goes on.
            }
        }
    }
}
