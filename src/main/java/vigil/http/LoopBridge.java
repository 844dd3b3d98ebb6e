package vigil.http;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import vigil.control.ControlServer;
import vigil.control.Json;
import vigil.control.Protocol;
import vigil.loop.EventLoop;
import vigil.os.UnixSocket.PeerCredentials;

/**
 * How the HTTP threads ask the daemon: a request posted to the loop as a control-socket line, answered to a
 * client that lives in this process, so that status, actions and events are the control socket's own (the same
 * model, the same access rules by uid). The loop is never waited on by the loop: an HTTP thread waits, with a
 * deadline, and the loop does only what a control client's request would make it do.
 */
final class LoopBridge {
    /** Events a stream may have waiting before it is dropped as a client that does not read. */
    static final int STREAM_BACKLOG = 256;

    /** Who reads status: nobody in particular, which anyone may do (see the control socket's rules). */
    static final PeerCredentials READER = new PeerCredentials(0, -1, -1);
    /** Status entries built per loop task: about a tenth of a millisecond of the loop's time on a quiet machine. */
    static final int SLICE = 50;

    private final EventLoop loop;
    private final ControlServer.LineHandler commands;
    private final DaemonView view;
    private final StatusSlices status;
    private final AtomicLong droppedStreams = new AtomicLong();

    LoopBridge(EventLoop loop, ControlServer.LineHandler commands, StatusSlices status, DaemonView view) {
        this.loop = loop;
        this.commands = commands;
        this.status = status;
        this.view = view;
    }

    /**
     * Every service's status entry, {@link #SLICE} at a time, each slice one loop task: between two of them the
     * loop goes back to its fds, so a restart waits for one slice at most, never for the whole listing. Then the
     * figures, in one more task. A service added or removed meanwhile may be missing or seen twice (the later
     * entry is kept): a scrape is a moment's view.
     */
    DaemonSnapshot snapshot(Duration timeout) throws Busy {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Object, Map<String, Object>> byName = new LinkedHashMap<>();
        for (int from = 0; ; from += SLICE) {
            int start = from;
            List<Map<String, Object>> slice = onLoop(() -> status.slice(start, SLICE), remaining(deadline), true);
            for (Map<String, Object> e : slice) byName.put(e.get("name"), e);
            if (slice.size() < SLICE) break;
        }
        return onLoop(() -> new DaemonSnapshot(List.copyOf(byName.values()), view.services(), view.settled(),
                view.stopping(), System.currentTimeMillis()), remaining(deadline));
    }

    /** Where the status entries come from: the control socket's own listing, in slices. */
    interface StatusSlices {
        List<Map<String, Object>> slice(int from, int count);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    /** Event subscribers dropped for not reading, of the control socket and of HTTP. */
    long droppedSubscribers() {
        return view.droppedSubscribers() + droppedStreams.get();
    }

    /** Thrown when the loop did not answer in time. */
    static final class Busy extends Exception {
        Busy(String message) {
            super(message);
        }
    }

    /** One control request as {@code caller}; its reply. */
    Map<String, Object> request(PeerCredentials caller, Map<String, Object> request, Duration timeout) throws Busy {
        InProcessClient client = new InProcessClient(caller, null);
        try {
            return requestAs(client, request, timeout);
        } finally {
            // Whatever it was waiting for (a wait the request began) is off.
            loop.execute(() -> commands.closed(client));
        }
    }

    /** Runs {@code read} on the loop and returns what it gave; for reads of fields only. */
    <T> T onLoop(Supplier<T> read, Duration timeout) throws Busy {
        return onLoop(read, timeout, false);
    }

    /**
     * As {@link #onLoop(Supplier, Duration)}; {@code afterFds}: as a timer due now, which runs after the loop's next
     * look at its fds. A task posted as soon as the one before it ended could otherwise run in the same pass of
     * the loop's task queue, and a chain of slices would hold a restart up as one long task would.
     */
    private <T> T onLoop(Supplier<T> read, Duration timeout, boolean afterFds) throws Busy {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                result.complete(read.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        };
        loop.execute(afterFds ? () -> loop.schedule(Duration.ZERO, task) : task);
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new Busy("the daemon did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Follows every event, as {@code vigil events} does; close the stream when done. */
    Stream subscribe(PeerCredentials caller, Duration timeout) throws Busy {
        Stream stream = new Stream(caller);
        Map<String, Object> reply = requestAs(stream.client, Map.of("cmd", "subscribe"), timeout);
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            stream.close();
            throw new Busy(String.valueOf(reply.get("message")));
        }
        return stream;
    }

    private Map<String, Object> requestAs(InProcessClient client, Map<String, Object> request, Duration timeout)
            throws Busy {
        Map<String, Object> versioned = new LinkedHashMap<>(request);
        versioned.put("v", Protocol.VERSION);
        String line = Json.write(versioned);
        loop.execute(() -> commands.line(client, line));
        try {
            return client.reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new Busy("the daemon did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The events of one subscription, queued by the loop and taken by the HTTP thread that streams them. */
    final class Stream implements AutoCloseable {
        private final BlockingQueue<Map<String, Object>> events = new ArrayBlockingQueue<>(STREAM_BACKLOG);
        private final InProcessClient client;
        private volatile boolean dropped;
        private volatile boolean closed;

        private Stream(PeerCredentials caller) {
            this.client = new InProcessClient(caller, this);
        }

        /** The next event, empty after {@code wait}; empty at once once dropped or closed. */
        Optional<Map<String, Object>> next(Duration wait) throws InterruptedException {
            if (dropped || closed) return Optional.empty();
            return Optional.ofNullable(events.poll(wait.toNanos(), TimeUnit.NANOSECONDS));
        }

        boolean dropped() {
            return dropped;
        }

        /** The reader fell behind by the whole backlog, or could not be written to: counted once. */
        void drop() {
            if (dropped) return;
            dropped = true;
            droppedStreams.incrementAndGet();
            close();
        }

        /** From the loop thread: an event, or the subscription's reply. */
        private void offer(Map<String, Object> event) {
            if (closed) return;
            // The loop never waits on a stream: a full backlog means a reader that does not keep up.
            if (!events.offer(event)) drop();
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            client.open = false;
            loop.execute(() -> commands.closed(client));
        }
    }

    /**
     * A control client inside the daemon: what the loop sends it is the reply of its one request, then, once it
     * subscribed, events for its stream. Called on the loop thread only, but for the reply's hand-over.
     */
    private static final class InProcessClient implements ControlServer.Client {
        final CompletableFuture<Map<String, Object>> reply = new CompletableFuture<>();
        private final PeerCredentials caller;
        private final Stream stream;
        private boolean subscribed;
        volatile boolean open = true;

        InProcessClient(PeerCredentials caller, Stream stream) {
            this.caller = caller;
            this.stream = stream;
        }

        @Override
        public PeerCredentials peer() {
            return caller;
        }

        @Override
        public void send(Map<String, Object> message) {
            if (subscribed && stream != null) stream.offer(message);
            else reply.complete(message);
        }

        @Override
        public void hold() {
            // One request per client: there is nothing further to hold back.
        }

        @Override
        public void resume() {
            // As hold.
        }

        @Override
        public void subscribe() {
            subscribed = true;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public int fd() {
            // Only daemon-reexec asks, to answer on the new daemon's side; HTTP never sends it.
            return -1;
        }
    }
}
