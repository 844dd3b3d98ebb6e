package vigil.service;

import java.time.Duration;

/**
 * Where one service is in its life: pure data. A state's timer (kill, restart) belongs to the service and is
 * cancelled when the state is left.
 * runit's three-valued view (down/run/finish) is {@link #runitState()}.
 */
public sealed interface ServiceState {
    enum Runit { DOWN, RUN, FINISH }

    Runit runitState();

    /** No process, and none scheduled. */
    record Down(long sinceNanos) implements ServiceState {
        public Runit runitState() {
            return Runit.DOWN;
        }
    }

    /**
     * {@code run} is running. {@code execed} once its program has replaced the helper that set it up (execve
     * succeeded); {@code ready} once its readiness protocol said so (at once without one). The service counts as
     * ready only with both.
     */
    record Up(RunningProcess run, long sinceNanos, boolean execed, boolean ready) implements ServiceState {
        public Runit runitState() {
            return Runit.RUN;
        }
    }

    /** The down-signal was sent; waiting for {@code run} to exit, with KILL armed if timeout-kill is set. */
    record Stopping(RunningProcess run, long sinceNanos) implements ServiceState {
        public Runit runitState() {
            return Runit.RUN;
        }
    }

    /** {@code run} exited after {@code ran}; {@code finish} is running, killed if it outlives timeout-finish. */
    record Finishing(RunningProcess finish, long runSinceNanos, Duration ran) implements ServiceState {
        public Runit runitState() {
            return Runit.FINISH;
        }
    }

    /** Waiting out the backoff before starting {@code run} again. */
    record BackingOff(long untilNanos) implements ServiceState {
        public Runit runitState() {
            return Runit.DOWN;
        }
    }
}
