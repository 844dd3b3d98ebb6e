package vigil.service;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.os.ExitStatus;

/**
 * A unit's state as {@code daemon-reexec} carries it to the new daemon: only the states a unit is handed over in,
 * those with no control process and no phase timeout running (running, exited, dead, failed, waiting to restart),
 * so the new daemon's unit picks up exactly where the old one was. Times are {@link System#nanoTime()}'s, which an
 * exec does not reset.
 *
 * @param main         the main process, if one is known
 * @param mainGroup    the process group that stands for a forking daemon without a known main pid; 0 if none
 * @param restartDue   when the automatic restart is due, in {@link UnitState#AUTO_RESTART}
 * @param recentStarts the starts that count against {@code StartLimitBurst=}
 */
public record UnitSnapshot(UnitState state, long sinceNanos, UnitState.Result result, UnitState.Result reloadResult,
                           Want want, Optional<Main> main, int mainGroup, Optional<ExitStatus> mainExit,
                           Optional<ExitStatus> controlExit, int restarts, List<Long> recentStarts,
                           String statusText, OptionalInt errno, long restartDue) {
    public UnitSnapshot {
        Objects.requireNonNull(state);
        Objects.requireNonNull(result);
        Objects.requireNonNull(reloadResult);
        Objects.requireNonNull(want);
        Objects.requireNonNull(main);
        Objects.requireNonNull(mainExit);
        Objects.requireNonNull(controlExit);
        recentStarts = List.copyOf(recentStarts);
        Objects.requireNonNull(statusText);
        Objects.requireNonNull(errno);
    }

    /**
     * The main process, and when it started in clock ticks since boot ({@code /proc/PID/stat}'s field 22): what tells
     * it from a process that got its pid after it died, when it is not the daemon's child (a forking daemon's, or one
     * named by {@code MAINPID=}).
     */
    public record Main(int pid, long startTicks) {}
}
