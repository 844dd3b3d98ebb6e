package vigil.daemon;

import java.time.Duration;
import vigil.loop.EventLoop;
import vigil.service.Clock;

/** The state machines' clock, backed by the event loop's timerfd and System.nanoTime (CLOCK_MONOTONIC). */
final class LoopClock implements Clock {
    private final EventLoop loop;

    LoopClock(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Timer schedule(Duration delay, Runnable task) {
        EventLoop.Timer timer = loop.schedule(delay, task);
        return timer::cancel;
    }
}
