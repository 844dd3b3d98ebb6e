package vigil.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.testing.Await;
import vigil.testing.LoopThread;

/** One inotify instance on a real event loop, shared by subscribers that may fail like a bug. */
class DirectoryWatcherTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dirs;

    private final LoopThread loop = new LoopThread("watcher-loop");
    private DirectoryWatcher watcher;

    DirectoryWatcherTest() throws OsException {}

    @AfterEach
    void stop() throws Exception {
        loop.call(() -> {
            if (watcher != null) watcher.close();
            return null;
        });
        loop.close();
    }

    @Test
    void aSubscriberThatFailsCostsOnlyItsOwnEvents() throws Exception {
        Path first = Files.createDirectory(dirs.resolve("first"));
        Path second = Files.createDirectory(dirs.resolve("second"));
        List<String> heard = new CopyOnWriteArrayList<>();
        loop.call(() -> {
            watcher = new DirectoryWatcher(loop.loop());
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
        Await.until("the failure reached the loop's reporter", WAIT, () -> !loop.errors().isEmpty());
        assertEquals(List.of("the first subscriber's bug"), loop.errors().stream().map(Throwable::getMessage).toList());
    }
}
