package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.service.Clock;

class SuperviseFilesTest {
    @TempDir
    Path tree;

    /** The loop as the writer sees it: tasks queue up here and run when the test says. */
    private final LinkedBlockingQueue<Runnable> loopTasks = new LinkedBlockingQueue<>();
    private final List<String> opened = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();

    private final Clock noTimers = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Timer schedule(Duration delay, Runnable task) {
            throw new AssertionError("no retry expected, asked to wait " + delay);
        }
    };

    private final SuperviseFiles.Listener listener = new SuperviseFiles.Listener() {
        @Override
        public void opened(DirectorySpec spec, SuperviseDir dir) {
            opened.add(spec.name());
        }

        @Override
        public void failed(DirectorySpec spec, IOException reason) {
            failed.add(spec.name() + ": " + reason.getMessage());
        }
    };

    private DirectorySpec service(String name) throws IOException {
        Path dir = Files.createDirectory(tree.resolve(name));
        Path run = dir.resolve("run");
        return DirectorySpec.simple(name, dir, new Command(run, List.of("./run"), dir, Map.of()));
    }

    /** Runs loop tasks as they come until {@code count} directories are reported; returns how many tasks it took. */
    private int runLoopUntilOpened(int count) throws InterruptedException {
        int tasks = 0;
        while (opened.size() + failed.size() < count) {
            Runnable task = loopTasks.poll(10, TimeUnit.SECONDS);
            if (task == null) throw new AssertionError("only " + opened + " and " + failed + " were reported");
            task.run();
            tasks++;
        }
        return tasks;
    }

    @Test
    void directoriesMadeInABurstAreReportedToTheLoopInBatches() throws Exception {
        int services = 200;
        // The service directories are made first: a scan holds the writer back for at most a second, and the
        // opens must all come within it, or the writer would catch up with them in many small batches.
        List<DirectorySpec> specs = new ArrayList<>();
        for (int i = 0; i < services; i++) specs.add(service("s" + i));
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, loopTasks::add, noTimers, listener)) {
            files.scanBegan();
            for (DirectorySpec spec : specs) files.open(spec);
            files.scanEnded();

            int tasks = runLoopUntilOpened(services);

            assertEquals(List.of(), failed);
            assertEquals(services, opened.size());
            assertTrue(tasks <= services / 64 + 2, services + " directories took " + tasks + " wake-ups of the loop");
            for (DirectorySpec spec : specs) {
                assertTrue(Files.exists(spec.directory().resolve("supervise/lock")), spec.name());
                assertEquals(files.directory(spec).directory(), spec.directory().resolve("supervise"));
            }
        }
    }

    @Test
    void whatWaitsForTheCloseRunsOnTheLoopOnceTheWriterHasLetTheFilesGo() throws Exception {
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, loopTasks::add, noTimers, listener)) {
            DirectorySpec spec = service("gone");
            files.open(spec);
            runLoopUntilOpened(1);
            AtomicBoolean closed = new AtomicBoolean();
            files.close(spec, () -> closed.set(true));
            assertFalse(closed.get(), "not before the writer's turn");
            while (!closed.get()) {
                Runnable task = loopTasks.poll(10, TimeUnit.SECONDS);
                if (task == null) throw new AssertionError("the close was never reported");
                task.run();
            }
            // The writer holds supervise/lock while it has the files: free now, as it is for a new supervisor.
            SuperviseDir.open(spec.directory()).close();

            AtomicBoolean unknown = new AtomicBoolean();
            files.close(spec, () -> unknown.set(true));
            assertTrue(unknown.get(), "a service whose files are closed already is reported at once");
        }
    }

    @Test
    void aDirectoryReopenedUnderANewNameWhileItsCloseIsQueuedOpensOnceThatIsDone() throws Exception {
        DirectorySpec old = service("next");
        DirectorySpec renamed = DirectorySpec.simple("web", old.directory(), old.run());
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, loopTasks::add, noTimers, listener)) {
            files.open(old);
            runLoopUntilOpened(1);
            // A scan holds the writer's work back, so its close of "next" is still queued, with the lock held.
            files.scanBegan();
            files.close(old);
            files.open(renamed);
            files.scanEnded();

            runLoopUntilOpened(2);
            assertEquals(List.of("next", "web"), opened);
            assertEquals(List.of(), failed);
        }
    }

    @Test
    void aScanReportedEndedTwiceStillLetsTheWriterGoOn() throws Exception {
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, loopTasks::add, noTimers, listener)) {
            files.scanBegan();
            files.open(service("s0"));
            files.scanEnded();
            files.scanEnded();
            runLoopUntilOpened(1);
            assertEquals(List.of("s0"), opened);
        }
    }

    /** Like the event loop: what a task throws is reported (here: kept) and the loop goes on. */
    private void runReportingLoopUntilOpened(int count, List<Throwable> reported) throws InterruptedException {
        while (opened.size() + failed.size() < count) {
            Runnable task = loopTasks.poll(10, TimeUnit.SECONDS);
            if (task == null) throw new AssertionError("only " + opened + " and " + failed + " were reported");
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                reported.add(e);
            }
        }
    }

    /** What a listener on the loop may throw: a bug, or an error such as running out of stack or memory. */
    static List<Throwable> failures() {
        return List.of(new IllegalStateException("the loop's handler failed"),
                new StackOverflowError("the loop's handler ran out of stack"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void aReportThatFailsLeavesTheRestOfItsBatchToRun(Throwable failure) throws Exception {
        List<String> seen = new ArrayList<>();
        SuperviseFiles.Listener failingOnce = new SuperviseFiles.Listener() {
            @Override
            public void opened(DirectorySpec spec, SuperviseDir dir) {
                seen.add(spec.name());
                if (!spec.name().equals("s0")) return;
                switch (failure) {
                    case RuntimeException e -> throw e;
                    case Error e -> throw e;
                    default -> throw new AssertionError(failure);
                }
            }

            @Override
            public void failed(DirectorySpec spec, IOException reason) {
                seen.add("failed " + spec.name());
            }
        };
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, loopTasks::add, noTimers,
                failingOnce)) {
            files.scanBegan();
            for (int i = 0; i < 3; i++) files.open(service("s" + i));
            files.scanEnded();

            List<Throwable> errors = new ArrayList<>();
            while (seen.size() < 3) {
                Runnable task = loopTasks.poll(10, TimeUnit.SECONDS);
                if (task == null) throw new AssertionError("only " + seen + " were reported");
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    errors.add(e);
                }
            }
            assertEquals(List.of("s0", "s1", "s2"), seen.stream().sorted().toList());
            assertEquals(List.of(failure), errors, "the failure reaches the loop, which reports it");
        }
    }

    @Test
    void theWriterOutlivesAnErrorOfItsOwnAndLosesNoReport() throws Exception {
        // Handing reports to the loop allocates: short of memory, it throws where nothing expects it.
        AtomicBoolean failNextHandOver = new AtomicBoolean(true);
        Executor shortOfMemoryOnce = task -> {
            if (failNextHandOver.getAndSet(false)) throw new OutOfMemoryError("Java heap space");
            loopTasks.add(task);
        };
        List<Throwable> reported = new ArrayList<>();
        try (SuperviseFiles files = new SuperviseFiles((name, line) -> {}, null, shortOfMemoryOnce, noTimers,
                listener)) {
            files.open(service("s0"));
            runReportingLoopUntilOpened(1, reported);
            assertFalse(failNextHandOver.get(), "the hand-off failed once");
            assertEquals(List.of("s0"), opened, "the report that could not be handed over went with the next one");

            DirectorySpec later = service("s1");
            files.open(later);
            runReportingLoopUntilOpened(2, reported);
            assertEquals(List.of("s0", "s1"), opened, "the writer still works");
            assertTrue(Files.exists(later.directory().resolve("supervise/lock")));

            assertEquals(1, reported.size(), reported.toString());
            assertInstanceOf(OutOfMemoryError.class, reported.getFirst().getCause(), "told to the loop");
        }
    }
}
