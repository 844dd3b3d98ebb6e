package vigil.supervise;

import java.time.Instant;
import java.util.Objects;

/**
 * What a runit {@code supervise/} directory says about a service: the fields of its {@code status}, {@code stat}
 * and {@code pid} files.
 *
 * @param state   what is running: nothing, {@code run}, or {@code finish}
 * @param pid     the running process (run's, or finish's while it runs); 0 when down
 * @param want    what the service is wanted to do
 * @param paused  sent STOP by a {@code p} command and not yet CONT
 * @param gotTerm TERM was sent and the process has not exited since
 * @param stamp   when run last started or the service last went down; kept while finish runs
 */
public record SuperviseState(RunState state, int pid, Want want, boolean paused, boolean gotTerm, Instant stamp) {
    /** runit's three states, with the numbers byte 19 of {@code status} holds. */
    public enum RunState {
        DOWN, RUN, FINISH;

        /** 0, 1 or 2. */
        public int code() {
            return ordinal();
        }
    }

    /** The wanted state. runit writes want-exit to {@code status} as down; only {@code stat} tells them apart. */
    public enum Want { UP, DOWN, EXIT }

    public SuperviseState {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(want, "want");
        Objects.requireNonNull(stamp, "stamp");
        if (pid < 0) throw new IllegalArgumentException("pid must not be negative: " + pid);
    }
}
