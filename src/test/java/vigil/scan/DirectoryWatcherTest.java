package vigil.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.loop.EventLoop;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.testing.Await;

/** One inotify instance on a real event loop, shared by subscribers that may fail like a bug. */
class DirectoryWatcherTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dirs;

    private final EventLoop loop = EventLoop.create();
    private final List<Throwable> loopErrors = new CopyOnWriteArrayList<>();
    private final Thread loopThread;
    private DirectoryWatcher watcher;

    DirectoryWatcherTest() throws OsException {
        loop.setErrorReporter(loopErrors::add);
        loopThread = Thread.ofPlatform().name("watcher-loop").start(loop::run);
    }

    @AfterEach
    void stop() throws Exception {
        onLoop(() -> {
            if (watcher != null) watcher.close();
            return null;
        });
        loop.stop();
        loopThread.join(WAIT.toMillis());
        assertFalse(loopThread.isAlive(), "the loop stopped");
        loop.close();
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
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

    @Test
    void aSubscriberThatFailsCostsOnlyItsOwnEvents() throws Exception {
        Path first = Files.createDirectory(dirs.resolve("first"));
        Path second = Files.createDirectory(dirs.resolve("second"));
        List<String> heard = new CopyOnWriteArrayList<>();
        onLoop(() -> {
            watcher = new DirectoryWatcher(loop);
            watcher.watch(first, Inotify.IN_CREATE, events -> {
                throw new IllegalStateException("the first subscriber's bug");
            });
            watcher.watch(second, Inotify.IN_CREATE, events -> events.forEach(e -> heard.add(e.name())));
            // Both made before the loop can read either: their events come in one read, the failing one first.
            Files.createFile(first.resolve("a"));
            Files.createFile(second.resolve("b"));
            return null;
        });

        Await.until("the second subscriber heard of b", WAIT, () -> heard.contains("b"));
        Await.until("the failure reached the loop's reporter", WAIT, () -> !loopErrors.isEmpty());
        assertEquals(List.of("the first subscriber's bug"), loopErrors.stream().map(Throwable::getMessage).toList());
    }
}
