package vigil.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import vigil.loop.EventLoop;
import vigil.os.OsException;

/**
 * A real event loop on a thread of its own, for tests of what runs on it: {@link #call} runs a task there and
 * waits for its result, and what handlers throw is kept in {@link #errors()} (the daemon would report it).
 */
public final class LoopThread implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final EventLoop loop = EventLoop.create();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final Thread thread;

    public LoopThread(String name) throws OsException {
        loop.setErrorReporter(errors::add);
        thread = Thread.ofPlatform().name(name).start(loop::run);
    }

    public EventLoop loop() {
        return loop;
    }

    /** What the loop's handlers, timers and tasks threw, in order. */
    public List<Throwable> errors() {
        return errors;
    }

    /** Runs {@code task} on the loop thread and returns its result, or throws what it threw. */
    public <T> T call(Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Stops the loop, waits for its thread to end, and closes it. */
    @Override
    public void close() throws InterruptedException {
        loop.stop();
        thread.join(WAIT.toMillis());
        if (thread.isAlive()) throw new AssertionError("the loop thread did not stop");
        loop.close();
    }
}
