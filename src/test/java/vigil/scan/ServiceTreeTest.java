package vigil.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.loop.EventLoop;
import vigil.model.DirectorySpec;
import vigil.os.OsException;
import vigil.service.Clock;
import vigil.testing.Await;
import vigil.testing.ServiceDirs;

/** A tree on a real event loop and inotify, with a host that records what it is asked and can fail like a bug. */
class ServiceTreeTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path root;

    private final EventLoop loop = EventLoop.create();
    private final List<Throwable> loopErrors = new CopyOnWriteArrayList<>();
    private final Thread loopThread;
    private final List<String> added = new CopyOnWriteArrayList<>();
    private final List<String> said = new CopyOnWriteArrayList<>();
    /** The service whose add throws, as a bug in the supervisor would. */
    private volatile String buggy = "";
    private ServiceTree tree;

    ServiceTreeTest() throws OsException {
        loop.setErrorReporter(loopErrors::add);
        loopThread = Thread.ofPlatform().name("tree-loop").start(loop::run);
    }

    @AfterEach
    void stop() throws Exception {
        onLoop(() -> {
            if (tree != null) tree.close();
            return null;
        });
        loop.stop();
        loopThread.join(WAIT.toMillis());
        assertFalse(loopThread.isAlive(), "the loop stopped");
        loop.close();
        assertEquals(List.of(), loopErrors, "nothing escaped to the loop");
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
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

    /** Starts the tree on the loop; the future completes when its first scan has loaded every entry. */
    private CompletableFuture<Void> startTree() throws Exception {
        CompletableFuture<Void> scanned = new CompletableFuture<>();
        onLoop(() -> {
            Clock clock = new Clock() {
                @Override
                public long nanoTime() {
                    return System.nanoTime();
                }

                @Override
                public Timer schedule(Duration delay, Runnable task) {
                    return loop.schedule(delay, task)::cancel;
                }
            };
            DirectoryWatcher watcher = new DirectoryWatcher(loop);
            tree = new ServiceTree(root, watcher, new ServiceHost() {
                @Override
                public void add(DirectorySpec spec) {
                    if (spec.name().equals(buggy)) throw new IllegalStateException("a bug in add");
                    added.add(spec.name());
                }

                @Override
                public void remove(String name) {
                    added.remove(name);
                }

                @Override
                public void rename(String from, DirectorySpec renamed) {
                    added.set(added.indexOf(from), renamed.name());
                }
            }, clock, Map.of(), (name, message) -> said.add(name + ": " + message));
            tree.start(() -> scanned.complete(null));
            return null;
        });
        return scanned;
    }

    @Test
    void aBugWhileLoadingOneServiceCostsOnlyThatService() throws Exception {
        for (String name : List.of("a", "b", "c")) ServiceDirs.service(root, name, "exec sleep 100");
        buggy = "b";

        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals(List.of("a", "c"), added, "the services after the failing one still load");
        assertEquals(List.of("b: cannot be supervised: internal error: java.lang.IllegalStateException: a bug in add"),
                said);
    }

    @Test
    void theFailedServiceIsLoadedAgainWhenItsDirectoryChanges() throws Exception {
        ServiceDirs.service(root, "b", "exec sleep 100");
        buggy = "b";
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(added.isEmpty());

        buggy = "";
        Files.writeString(root.resolve("b/down"), "");
        Await.until("b loaded after its directory changed", WAIT, () -> added.equals(List.of("b")));
    }

    @Test
    void servicesAddedLaterAreStillLoadedAfterABug() throws Exception {
        ServiceDirs.service(root, "b", "exec sleep 100");
        buggy = "b";
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        ServiceDirs.service(root, "d", "exec sleep 100");
        Await.until("d loaded", WAIT, () -> added.equals(List.of("d")));
    }
}
