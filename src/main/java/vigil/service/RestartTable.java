package vigil.service;

import java.time.Duration;
import java.util.Optional;
import vigil.model.UnitSpec;
import vigil.os.ExitStatus;
import vigil.service.UnitState.Result;

/**
 * Whether and when a unit's run that ended restarts on its own: systemd's service_shall_restart() and its restart
 * delay, pure functions of the unit file, how the run ended and how many restarts came before.
 */
final class RestartTable {
    private RestartTable() {}

    /**
     * Whether a run that ended with {@code result} (its main process with {@code mainExit}, if it had one that
     * ended) restarts, when nothing forbids it: the exit-status overrides, then the {@code Restart=} table.
     */
    static boolean restarts(UnitSpec spec, Result result, Optional<ExitStatus> mainExit) {
        if (result == Result.START_LIMIT_HIT || result == Result.SKIP_CONDITION) return false;
        if (mainExit.isPresent() && spec.restartPreventExitStatus().matches(mainExit.get())) return false;
        if (mainExit.isPresent() && spec.restartForceExitStatus().matches(mainExit.get())) return true;
        return restartsAfter(spec.restart(), result);
    }

    /** The Restart= table of systemd.service(5). */
    static boolean restartsAfter(UnitSpec.Restart restart, Result result) {
        return switch (restart) {
            case NO -> false;
            case ALWAYS -> true;
            case ON_SUCCESS -> result == Result.SUCCESS;
            case ON_FAILURE -> result != Result.SUCCESS;
            case ON_ABNORMAL -> result == Result.SIGNAL || result == Result.CORE_DUMP || result == Result.TIMEOUT
                    || result == Result.OOM_KILL || result == Result.WATCHDOG;
            case ON_WATCHDOG -> result == Result.WATCHDOG;
            case ON_ABORT -> result == Result.SIGNAL || result == Result.CORE_DUMP;
        };
    }

    /**
     * RestartSec= before the restart that follows {@code restarts} earlier ones, growing over RestartSteps= restarts
     * to RestartMaxDelaySec= as systemd does: exponentially, {@code sec * (max/sec)^(n/steps)} for the n-th restart,
     * and the maximum from the steps-th on.
     */
    static Duration delay(UnitSpec spec, int restarts) {
        Duration sec = spec.restartSec();
        Optional<Duration> max = spec.restartMaxDelay();
        if (spec.restartSteps() == 0 || max.isEmpty() || sec.isZero() || sec.compareTo(max.get()) >= 0) return sec;
        if (restarts >= spec.restartSteps()) return max.get();
        double ratio = (double) max.get().toNanos() / sec.toNanos();
        return Duration.ofNanos((long) (sec.toNanos() * Math.pow(ratio, (double) restarts / spec.restartSteps())));
    }
}
