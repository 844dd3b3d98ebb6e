package vigil.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vigil.os.Epoll;
import vigil.testing.Await;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Signals;

class EventLoopTest {
    private static final long WAIT_SECONDS = 5;
    private static final String LOOP_THREAD_NAME = "loop-under-test";

    private EventLoop loop;
    private Thread thread;
    private final List<Integer> fds = Collections.synchronizedList(new ArrayList<>());
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Set by the tests that make handlers fail on purpose; every other test must report no error. */
    private boolean errorsExpected;

    @BeforeEach
    void create() throws OsException {
        loop = EventLoop.create();
        loop.setErrorReporter(errors::add);
    }

    @AfterEach
    void stopAndClose() throws InterruptedException {
        try {
            if (thread != null) {
                loop.stop();
                thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                assertFalse(thread.isAlive(), "the loop stopped");
            }
        } finally {
            loop.close();
            fds.forEach(Fds::close);
        }
        if (!errorsExpected) assertEquals(List.of(), errors);
    }

    private void start() {
        thread = Thread.ofPlatform().name(LOOP_THREAD_NAME).start(loop::run);
    }

    private int[] pipe() throws OsException {
        int[] pipe = Fds.pipe(Fds.O_NONBLOCK);
        fds.add(pipe[0]);
        fds.add(pipe[1]);
        return pipe;
    }

    private static void write(int fd, String text) throws OsException {
        byte[] bytes = text.getBytes();
        assertEquals(bytes.length, Fds.write(fd, bytes, 0, bytes.length));
    }

    private static String read(int fd) throws OsException {
        byte[] buffer = new byte[256];
        int n = Fds.read(fd, buffer, 0, buffer.length);
        return n <= 0 ? "" : new String(buffer, 0, n);
    }

    /** Runs {@code action} on the loop thread and returns its result. */
    private <T> T onLoop(Callable<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(action.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void pipeDataReachesItsHandlerOnTheLoopThread() throws Exception {
        int[] pipe = pipe();
        CompletableFuture<String> received = new CompletableFuture<>();
        AtomicReference<Boolean> onLoopThread = new AtomicReference<>();
        loop.watch(pipe[0], Epoll.EPOLLIN, events -> {
            onLoopThread.set(loop.inLoopThread());
            received.complete(events + ":" + read(pipe[0]));
        });
        start();
        write(pipe[1], "hello");
        assertEquals(Epoll.EPOLLIN + ":hello", await(received));
        assertTrue(onLoopThread.get());
        assertFalse(loop.inLoopThread());
    }

    @Test
    void modifyChangesTheWatchedEvents() throws Exception {
        int[] pipe = pipe();
        CompletableFuture<Integer> writable = new CompletableFuture<>();
        EventLoop.Registration registration = loop.watch(pipe[1], Epoll.EPOLLIN, writable::complete);
        start();
        onLoop(() -> {
            registration.modify(Epoll.EPOLLOUT);
            return null;
        });
        assertEquals(Epoll.EPOLLOUT, await(writable));
    }

    @Test
    void timersRunInDeadlineThenSchedulingOrder() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long base = System.nanoTime() + 30_000_000L;
        loop.scheduleAt(base + 2_000_000L, () -> order.add("late"));
        loop.scheduleAt(base, () -> order.add("a"));
        loop.scheduleAt(base, () -> order.add("b"));
        loop.scheduleAt(base - 1_000_000L, () -> order.add("early"));
        loop.scheduleAt(base, () -> order.add("c"));
        loop.scheduleAt(base + 3_000_000L, () -> done.complete(null));
        start();
        await(done);
        assertEquals(List.of("early", "a", "b", "c", "late"), order);
        assertTrue(System.nanoTime() >= base + 3_000_000L);
    }

    @Test
    void aCancelledTimerNeverRunsEvenWhenDueInTheSamePass() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + 20_000_000L;
        EventLoop.Timer cancelledEarly = loop.schedule(Duration.ofMillis(10), () -> ran.add("cancelled early"));
        AtomicReference<EventLoop.Timer> victim = new AtomicReference<>();
        loop.scheduleAt(deadline, () -> {
            ran.add("canceller");
            victim.get().cancel();
        });
        victim.set(loop.scheduleAt(deadline, () -> ran.add("victim")));
        cancelledEarly.cancel();
        cancelledEarly.cancel();
        loop.scheduleAt(deadline + 1, () -> done.complete(null));
        start();
        await(done);
        assertEquals(List.of("canceller"), ran);
    }

    @Test
    void cancellingTheEarliestTimerRearmsForTheNext() throws Exception {
        CompletableFuture<String> first = new CompletableFuture<>();
        start();
        onLoop(() -> {
            EventLoop.Timer soon = loop.schedule(Duration.ofMillis(5), () -> first.complete("soon"));
            loop.schedule(Duration.ofMillis(40), () -> first.complete("later"));
            soon.cancel();
            return null;
        });
        assertEquals("later", await(first));
    }

    @Test
    void pastAndExtremeDeadlinesFireAndFarOnesDoNot() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.schedule(Duration.ofDays(365_000_000L * 1000), () -> ran.add("never"));
        loop.scheduleAt(Long.MAX_VALUE, () -> ran.add("never either"));
        loop.scheduleAt(System.nanoTime() - 1_000_000_000L, () -> ran.add("past"));
        loop.scheduleAt(Long.MIN_VALUE, () -> ran.add("min"));
        loop.schedule(Duration.ofSeconds(-5), () -> ran.add("negative"));
        start();
        onLoop(() -> loop.schedule(Duration.ZERO, () -> done.complete(null)));
        await(done);
        assertEquals(List.of("min", "negative", "past"), ran, "negative is 5 s ago, past 1 s");
    }

    @Test
    void aTimerScheduledByATimerAtTheSameDeadlineStillRuns() throws Exception {
        CompletableFuture<Void> second = new CompletableFuture<>();
        long deadline = System.nanoTime() + 10_000_000L;
        loop.scheduleAt(deadline, () -> loop.scheduleAt(deadline, () -> second.complete(null)));
        start();
        await(second);
    }

    @Test
    void executeRunsTasksFromOtherThreadsInOrder() throws Exception {
        start();
        int threads = 4, perThread = 20_000;
        List<List<Integer>> seen = new ArrayList<>();
        for (int i = 0; i < threads; i++) seen.add(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(threads * perThread);
        AtomicInteger offLoop = new AtomicInteger();
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Integer> mine = seen.get(t);
            submitters.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    int n = i;
                    loop.execute(() -> {
                        if (!loop.inLoopThread()) offLoop.incrementAndGet();
                        mine.add(n);
                        all.countDown();
                    });
                }
            }));
        }
        for (Thread t : submitters) t.join();
        assertTrue(all.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, offLoop.get());
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < perThread; i++) expected.add(i);
        // Each list is only touched on the loop thread; the latch makes its writes visible here.
        for (List<Integer> list : seen) assertEquals(expected, list);
    }

    @Test
    void executeFromTheLoopThreadRunsBeforeItBlocksAgain() throws Exception {
        start();
        CompletableFuture<String> nested = new CompletableFuture<>();
        loop.execute(() -> loop.execute(() -> nested.complete("nested")));
        assertEquals("nested", await(nested));
    }

    @Test
    void aSignalToOurOwnPidReachesTheLoop() throws Throwable {
        CompletableFuture<Boolean> first = new CompletableFuture<>();
        CompletableFuture<Integer> second = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger otherHandlerCalls = new AtomicInteger();
        loop.onSignal(Signals.SIGUSR2, () -> {
            int n = calls.incrementAndGet();
            if (n == 1) first.complete(loop.inLoopThread());
            else second.complete(n);
        });
        loop.onSignal(Signals.SIGUSR2, otherHandlerCalls::incrementAndGet);
        start();
        kill(ProcessHandle.current().pid(), Signals.SIGUSR2);
        assertTrue(await(first), "ran on the loop thread");
        // Sent after the handler ran, so it cannot coalesce with the first: it must run the handlers again.
        kill(ProcessHandle.current().pid(), Signals.SIGUSR2);
        assertEquals(2, await(second));
        assertEquals(2, onLoop(otherHandlerCalls::get));
    }

    @Test
    void theLoopThreadLeavesWatchedSignalsToOtherThreads() throws Throwable {
        loop.onSignal(Signals.SIGUSR2, () -> {});
        start();
        long blocked = onLoop(EventLoopTest::blockedSignalsOfThisThread);
        assertEquals(1L << (Signals.SIGUSR2 - 1), blocked & (1L << (Signals.SIGUSR2 - 1)), "SIGUSR2 blocked");
        assertEquals(0, blockedSignalsOfThisThread() & (1L << (Signals.SIGUSR2 - 1)), "not in the test's thread");
    }

    /** SigBlk of /proc/thread-self/status: bit n-1 for signal n. */
    private static long blockedSignalsOfThisThread() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("SigBlk:")) return Long.parseUnsignedLong(line.substring(7).strip(), 16);
        }
        throw new AssertionError("no SigBlk line");
    }

    @Test
    void refusedSignalsThrow() {
        assertThrows(IllegalArgumentException.class, () -> loop.onSignal(Signals.SIGQUIT, () -> {}));
    }

    @Test
    void aRegistrationCancelledInItsOwnHandlerHearsNothingMore() throws Exception {
        int[] cancelled = pipe();
        int[] marker = pipe();
        AtomicInteger calls = new AtomicInteger();
        EventLoop.Registration[] self = new EventLoop.Registration[1];
        CompletableFuture<Void> firstCall = new CompletableFuture<>();
        self[0] = loop.watch(cancelled[0], Epoll.EPOLLIN, events -> {
            calls.incrementAndGet();
            self[0].cancel();
            self[0].cancel();
            firstCall.complete(null);
        });
        CompletableFuture<Integer> callsWhenMarkerSeen = new CompletableFuture<>();
        loop.watch(marker[0], Epoll.EPOLLIN, events -> {
            read(marker[0]);
            callsWhenMarkerSeen.complete(calls.get());
        });
        start();
        write(cancelled[1], "x");
        await(firstCall);
        // The pipe is still unread: were it watched, it would be in the same batch as the marker, or an earlier one.
        write(marker[1], "m");
        assertEquals(1, await(callsWhenMarkerSeen));
        ExecutionException modify = assertThrows(ExecutionException.class, () -> onLoop(() -> {
            self[0].modify(Epoll.EPOLLIN);
            return null;
        }));
        assertInstanceOf(IllegalStateException.class, modify.getCause(), "modify after cancel");
    }

    @Test
    void aHandlerCancellingAnotherSuppressesItsEventInTheSameBatch() throws Exception {
        int[] a = pipe();
        int[] b = pipe();
        List<String> ran = new CopyOnWriteArrayList<>();
        EventLoop.Registration[] registrations = new EventLoop.Registration[2];
        registrations[0] = loop.watch(a[0], Epoll.EPOLLIN, events -> {
            ran.add("a" + read(a[0]));
            registrations[1].cancel();
        });
        registrations[1] = loop.watch(b[0], Epoll.EPOLLIN, events -> {
            ran.add("b" + read(b[0]));
            registrations[0].cancel();
        });
        // Both readable before the loop's first epoll_wait, so both events come in one batch.
        write(a[1], "x");
        write(b[1], "x");
        start();
        Await.until("one handler ran", Duration.ofSeconds(10), () -> !ran.isEmpty());
        // A task runs between batches: once it has, the batch that ran one handler is over.
        onLoop(() -> null);
        assertEquals(1, ran.size(), ran.toString());
    }

    @Test
    void aStaleEventIsNotDeliveredToANewRegistrationOfTheSameFdNumber() throws Exception {
        int[] a = pipe();
        int[] b = pipe();
        List<String> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> reused = new CompletableFuture<>();
        EventLoop.Registration[] registrations = new EventLoop.Registration[2];
        registrations[0] = loop.watch(a[0], Epoll.EPOLLIN, events -> {
            ran.add("a" + read(a[0]));
            reused.complete(replace(registrations[1], b, ran));
        });
        registrations[1] = loop.watch(b[0], Epoll.EPOLLIN, events -> {
            ran.add("b" + read(b[0]));
            reused.complete(replace(registrations[0], a, ran));
        });
        write(a[1], "x");
        write(b[1], "x");
        start();
        int fd = await(reused);
        onLoop(() -> null);
        assertEquals(1, ran.size(), "only the first handler ran, the new registration got no stale event: " + ran);
        assumeTrue(fd >= 0, "the kernel handed out a different fd number, so there was no reuse to test");
    }

    /**
     * Cancels {@code other}, closes its pipe and watches a fresh, empty pipe. Returns the new read end if it got
     * the old read end's number, else -1.
     */
    private int replace(EventLoop.Registration other, int[] otherPipe, List<String> ran) throws OsException {
        other.cancel();
        Fds.close(otherPipe[0]);
        Fds.close(otherPipe[1]);
        fds.remove((Integer) otherPipe[0]);
        fds.remove((Integer) otherPipe[1]);
        int[] fresh = pipe();
        loop.watch(fresh[0], Epoll.EPOLLIN, events -> ran.add("stale event on " + fresh[0]));
        return fresh[0] == otherPipe[0] ? fresh[0] : -1;
    }

    @Test
    void watchingAnFdThatWasClosedWithoutCancelReplacesTheDeadRegistration() throws Exception {
        int[] first = pipe();
        List<String> ran = new CopyOnWriteArrayList<>();
        EventLoop.Registration old = loop.watch(first[0], Epoll.EPOLLIN, events -> ran.add("old"));
        Fds.close(first[0]);
        fds.remove((Integer) first[0]);
        int[] second = pipe();
        assumeTrue(second[0] == first[0], "needs the fd number to be reused");
        CompletableFuture<String> got = new CompletableFuture<>();
        loop.watch(second[0], Epoll.EPOLLIN, events -> got.complete(read(second[0])));
        old.cancel();
        start();
        write(second[1], "new");
        assertEquals("new", await(got));
        assertEquals(List.of(), ran);
    }

    @Test
    void anExceptionInAHandlerIsReportedAndTheLoopGoesOn() throws Exception {
        errorsExpected = true;
        int[] pipe = pipe();
        CountDownLatch reported = new CountDownLatch(3);
        loop.setErrorReporter(t -> {
            errors.add(t);
            reported.countDown();
        });
        EventLoop.Registration[] registration = new EventLoop.Registration[1];
        registration[0] = loop.watch(pipe[0], Epoll.EPOLLIN, events -> {
            registration[0].cancel();
            throw new java.io.IOException("handler failed");
        });
        loop.schedule(Duration.ZERO, () -> {
            throw new IllegalStateException("timer failed");
        });
        start();
        write(pipe[1], "x");
        loop.execute(() -> {
            throw new StackOverflowError("task failed");
        });
        assertTrue(reported.await(WAIT_SECONDS, TimeUnit.SECONDS), errors.toString());
        assertEquals("still running", onLoop(() -> "still running"));
        List<String> messages = errors.stream().map(Throwable::getMessage).sorted().toList();
        assertEquals(List.of("handler failed", "task failed", "timer failed"), messages);
    }

    @Test
    void aFailingErrorReporterDoesNotStopTheLoop() throws Exception {
        errorsExpected = true;
        loop.setErrorReporter(t -> {
            throw new IllegalStateException("reporter failed");
        });
        start();
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            loop.execute(() -> {
                throw new IllegalStateException("task failed");
            });
            assertEquals("ok", onLoop(() -> "ok"));
        } finally {
            System.setErr(stderr);
        }
        String text = captured.toString();
        assertTrue(text.startsWith("vigil: internal error: java.lang.IllegalStateException: task failed"), text);
        assertTrue(text.contains("reporter failed"), text);
    }

    @Test
    void theLoopGoesOnWhenEvenTheLastResortReportFails() throws Exception {
        errorsExpected = true;
        // Short of memory, the reporter and then the stack trace on stderr both fail as they allocate.
        loop.setErrorReporter(t -> {
            throw new OutOfMemoryError("reporter: Java heap space");
        });
        start();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) {
            @Override
            public void print(String s) {
                throw new OutOfMemoryError("stderr: Java heap space");
            }
        });
        try {
            loop.execute(() -> {
                throw new OutOfMemoryError("task: Java heap space");
            });
            assertEquals("still running", onLoop(() -> "still running"));
        } finally {
            System.setErr(stderr);
        }
    }

    @Test
    void stopFromAHandlerAndStopBeforeRun() throws Exception {
        loop.execute(loop::stop);
        Thread first = Thread.ofPlatform().start(loop::run);
        first.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(first.isAlive(), "stop() inside a task ended run()");

        loop.stop();
        Thread second = Thread.ofPlatform().start(loop::run);
        second.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(second.isAlive(), "a stop() before run() ends it at once");

        start();
        assertEquals("running again", onLoop(() -> "running again"));
    }

    @Test
    void loopStateBelongsToTheLoopThread() throws Exception {
        start();
        onLoop(() -> null);
        int[] pipe = pipe();
        assertThrows(IllegalStateException.class, () -> loop.watch(pipe[0], Epoll.EPOLLIN, events -> {}));
        assertThrows(IllegalStateException.class, () -> loop.schedule(Duration.ZERO, () -> {}));
        assertThrows(IllegalStateException.class, () -> loop.run());
        assertThrows(IllegalStateException.class, () -> loop.close());
        assertSame(null, onLoop(() -> null));
    }

    @Test
    void anIdleLoopStaysAsleep() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")));
        start();
        // A timer that was armed and then cancelled must not wake the loop at its old deadline either.
        onLoop(() -> {
            loop.schedule(Duration.ofMillis(100), () -> {}).cancel();
            return null;
        });
        Path status = loopThreadStatus();
        // The task above returned before the loop thread went back to sleep: count from when it is asleep.
        Await.until("the loop thread back in epoll_wait", Duration.ofSeconds(10), () -> {
            try {
                return Files.readString(status.resolveSibling("wchan")).contains("epoll");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long before = contextSwitches(status);
        // Not synchronisation: this measures that nothing at all happens on the loop thread for a while.
        Thread.sleep(400);
        assertEquals(before, contextSwitches(status), "the idle loop thread woke up");
        assertTrue(Files.readString(status.resolveSibling("wchan")).contains("epoll"),
                "blocked in epoll_wait");
    }

    private Path loopThreadStatus() throws Exception {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).strip().equals(LOOP_THREAD_NAME.substring(0, 15))) {
                    return task.resolve("status");
                }
            }
        }
        throw new AssertionError("no thread named " + LOOP_THREAD_NAME);
    }

    private static long contextSwitches(Path status) throws Exception {
        long total = 0;
        for (String line : Files.readAllLines(status)) {
            if (line.contains("ctxt_switches:")) total += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
        }
        return total;
    }

    private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static void kill(long pid, int signal) throws Throwable {
        assertEquals(0, (int) KILL.invokeExact((int) pid, signal));
    }
}
