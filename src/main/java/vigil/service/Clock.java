package vigil.service;

import java.time.Duration;

/**
 * Time as the state machines see it: a monotonic reading and one-shot timers that fire on the loop thread.
 * The daemon backs it with the event loop's timerfd; tests use a virtual clock they advance by hand.
 */
public interface Clock {
    /** Monotonic nanoseconds, comparable only with other readings of the same clock. */
    long nanoTime();

    /** Runs {@code task} on the loop thread once {@code delay} has passed, unless cancelled first. */
    Timer schedule(Duration delay, Runnable task);

    interface Timer {
        /** Idempotent; a cancelled or fired timer is never run (again). */
        void cancel();
    }
}
