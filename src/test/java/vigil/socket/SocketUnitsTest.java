package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.deps.Activity;
import vigil.loop.EventLoop;
import vigil.testing.Await;
import vigil.unit.Accounts;
import vigil.unit.SocketSection;
import vigil.unit.Host;
import vigil.unit.UnitLoader;
import vigil.unit.UnitResult;

/**
 * SocketUnits' activation logic behind its {@link SocketUnits.Services} port: a fake daemon that records the
 * activations and says whether the service is down, a virtual clock for the trigger limit, and a real loop and unix
 * socket in a temp directory (the fds are what the loop watches).
 */
class SocketUnitsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private EventLoop loop;
    private Thread loopThread;
    private final AtomicReference<Throwable> loopFailure = new AtomicReference<>();
    private final AtomicLong now = new AtomicLong();
    private final List<String> said = new CopyOnWriteArrayList<>();
    private final FakeServices services = new FakeServices();
    private SocketUnits units;
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();

    /** The daemon's side: records activations; the service stays down unless a test says it runs. */
    private final class FakeServices implements SocketUnits.Services {
        final List<String> activated = new CopyOnWriteArrayList<>();
        final AtomicBoolean down = new AtomicBoolean(true);
        /** A service that exits at once: down again right after its activation, as the daemon would tell. */
        final AtomicBoolean diesAtOnce = new AtomicBoolean();

        @Override
        public boolean activate(String service) {
            activated.add(service);
            if (diesAtOnce.get()) loop.execute(() -> units.serviceChanged(service, true));
            else down.set(false);
            return true;
        }

        @Override
        public boolean down(String service) {
            return down.get();
        }

        @Override
        public boolean startInstance(String instance) {
            return false;
        }

        @Override
        public void removeInstance(String instance) {}

        @Override
        public void changed(String socketUnit) {}
    }

    /**
     * The socket units' Exec*= lists, run by nothing: each records when it ran (with whether the socket took
     * connections then) and ends on the loop's next turn, failing if a test said so.
     */
    private final class FakeCommands implements SocketUnits.Commands {
        final List<String> ran = new CopyOnWriteArrayList<>();
        final Map<SocketSection.ExecKind, String> failing = new ConcurrentHashMap<>();

        @Override
        public SocketUnits.Run run(String unit, SocketSection section, SocketSection.ExecKind kind,
                                   Consumer<Optional<String>> ended) {
            ran.add(kind.directive() + (accepts(dir.resolve("web.sock")) ? " bound" : " unbound"));
            loop.execute(() -> ended.accept(Optional.ofNullable(failing.get(kind))));
            return new SocketUnits.Run() {
                @Override
                public void stop() {}

                @Override
                public boolean running() {
                    return true;
                }
            };
        }
    }

    private final FakeCommands commands = new FakeCommands();

    private static boolean accepts(Path path) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @BeforeEach
    void startLoop() throws Exception {
        loop = EventLoop.create();
        loop.setErrorReporter(loopFailure::set);
        units = new SocketUnits(loop, services, commands, Accounts.system(),
                (unit, text) -> said.add(unit + ": " + text), now::get);
        loopThread = Thread.ofPlatform().name("socket-units").start(loop::run);
    }

    @AfterEach
    void stopLoop() throws Exception {
        for (SocketChannel c : clients) c.close();
        onLoop(() -> {
            units.closeAll();
            return null;
        });
        loop.stop();
        loopThread.join(10_000);
        loop.close();
    }

    private <T> T onLoop(Supplier<T> action) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                done.complete(action.get());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Two turns of the loop: an fd still watched and readable would have been acted on by then. */
    private void settle() throws Exception {
        onLoop(() -> null);
        onLoop(() -> null);
        if (loopFailure.get() != null) throw new AssertionError("the loop failed", loopFailure.get());
    }

    private Path socketUnit(String extra) throws Exception {
        return socketUnit(extra, Activity.ACTIVE);
    }

    /** Loads and starts web.socket with {@code extra} lines; waits until its activity is {@code expected}. */
    private Path socketUnit(String extra, Activity expected) throws Exception {
        Path path = dir.resolve("web.sock");
        Path units = Files.createDirectories(dir.resolve("units"));
        Files.writeString(units.resolve("web.socket"), "[Socket]\nListenStream=" + path + "\n" + extra);
        UnitResult r = UnitLoader.scan(List.of(units), Host.current()).load("web.socket");
        SocketSection section = ((UnitResult.Loaded) r).unit().socket().orElseThrow();
        onLoop(() -> {
            this.units.put("web.socket", section);
            this.units.start("web.socket");
            return null;
        });
        awaitActivity(expected);
        return path;
    }

    private void awaitActivity(Activity expected) {
        Await.until("web.socket " + expected + " (said: " + said + ")", WAIT, () -> {
            try {
                return onLoop(() -> units.activity("web.socket")) == expected;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    private static final String ALL_FOUR = "ExecStartPre=/bin/true\nExecStartPost=/bin/true\n"
            + "ExecStopPre=/bin/true\nExecStopPost=/bin/true\n";

    @Test
    void theExecListsRunAroundTheBindAndTheCloseInSystemdsOrder() throws Exception {
        socketUnit(ALL_FOUR);
        assertEquals(List.of("ExecStartPre unbound", "ExecStartPost bound"), commands.ran);
        onLoop(() -> {
            units.stop("web.socket");
            return null;
        });
        awaitActivity(Activity.INACTIVE);
        assertEquals(List.of("ExecStartPre unbound", "ExecStartPost bound", "ExecStopPre bound",
                "ExecStopPost unbound"), commands.ran);
    }

    @Test
    void aFailedExecStartPreLeavesTheUnitFailedWithNothingBound() throws Exception {
        commands.failing.put(SocketSection.ExecKind.START_PRE, "ExecStartPre=/bin/false failed: exited 1");
        socketUnit(ALL_FOUR, Activity.FAILED);
        assertEquals(List.of("ExecStartPre unbound"), commands.ran, "no bind, no stop commands");
        assertTrue(said.contains("web.socket: failed: ExecStartPre=/bin/false failed: exited 1"), said.toString());
        assertTrue(onLoop(() -> units.rows()).getFirst().state().contains("ExecStartPre=/bin/false failed"));
    }

    @Test
    void aFailedExecStartPostRunsTheStopAndLeavesTheUnitFailedAndClosed() throws Exception {
        commands.failing.put(SocketSection.ExecKind.START_POST, "ExecStartPost=/bin/false failed: exited 1");
        Path path = socketUnit(ALL_FOUR, Activity.FAILED);
        assertEquals(List.of("ExecStartPre unbound", "ExecStartPost bound", "ExecStopPre bound",
                "ExecStopPost unbound"), commands.ran);
        assertTrue(said.contains("web.socket: failed: ExecStartPost=/bin/false failed: exited 1"), said.toString());
        assertTrue(!accepts(path), "closed");
    }

    /** A client whose connection waits in the backlog: nothing accepts it in these tests. */
    private void connect(Path path) throws IOException {
        clients.add(SocketChannel.open(UnixDomainSocketAddress.of(path)));
    }

    @Test
    void aConnectionStartsTheServiceOnceAndTheSocketIsNotWatchedWhileItRuns() throws Exception {
        Path path = socketUnit("");
        settle();
        assertEquals(List.of(), services.activated, "nothing before a connection");
        connect(path);
        Await.until("an activation", WAIT, () -> !services.activated.isEmpty());
        connect(path);
        settle();
        assertEquals(List.of("web.service"), services.activated, "the pending connections are the service's");
        onLoop(() -> {
            units.serviceChanged("web.service", false);
            return null;
        });
        settle();
        assertEquals(1, services.activated.size(), "not watched while the service runs");
        assertTrue(onLoop(() -> units.rows()).getFirst().state().equals("running"));
    }

    @Test
    void theSocketIsWatchedAgainOnceTheServiceIsDownAndItsBacklogActivatesItAgain() throws Exception {
        Path path = socketUnit("");
        connect(path);
        Await.until("an activation", WAIT, () -> services.activated.size() == 1);
        onLoop(() -> {
            units.serviceChanged("web.service", false);
            return null;
        });
        services.down.set(true);
        onLoop(() -> {
            units.serviceChanged("web.service", true);
            return null;
        });
        Await.until("a second activation, by the connection left in the backlog", WAIT,
                () -> services.activated.size() == 2);
        assertEquals(List.of("web.service", "web.service"), services.activated);
    }

    @Test
    void aServiceThatDiesAtEveryActivationHitsTheTriggerLimitAndTheSocketFails() throws Exception {
        services.diesAtOnce.set(true);
        Path path = socketUnit("TriggerLimitIntervalSec=10s\nTriggerLimitBurst=3\n");
        connect(path);
        Await.until("the socket unit failed", WAIT, () -> {
            try {
                return onLoop(() -> units.activity("web.socket")) == Activity.FAILED;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(3, services.activated.size(), "the burst, then no more");
        assertTrue(said.stream().anyMatch(s -> s.startsWith("web.socket: failed: trigger limit hit (more than 3 "
                + "activations in")), said.toString());
        settle();
        assertEquals(3, services.activated.size(), "no busy loop once failed");
        assertTrue(onLoop(() -> units.rows()).getFirst().state().startsWith("failed"));
    }

    @Test
    void aDatagramForADownServiceActivatesItAndOneNoServiceReadsCannotMakeTheSocketSpin() throws Exception {
        int port;
        try (var probe = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path unitDir = Files.createDirectories(dir.resolve("units"));
        Files.writeString(unitDir.resolve("web.socket"), "[Socket]\nListenDatagram=127.0.0.1:" + port
                + "\nTriggerLimitIntervalSec=10s\nTriggerLimitBurst=4\n");
        SocketSection section = ((UnitResult.Loaded) UnitLoader.scan(List.of(unitDir), Host.current())
                .load("web.socket")).unit().socket().orElseThrow();
        onLoop(() -> {
            units.put("web.socket", section);
            units.start("web.socket");
            return null;
        });
        awaitActivity(Activity.ACTIVE);
        try (var client = new java.net.DatagramSocket()) {
            byte[] ping = "ping".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.send(new java.net.DatagramPacket(ping, ping.length,
                    new java.net.InetSocketAddress("127.0.0.1", port)));
        }
        Await.until("an activation by the datagram", WAIT, () -> services.activated.size() == 1);
        settle();
        assertEquals(1, services.activated.size(), "the datagram waits for the service, which runs");
        // The service dies at every start without reading it: each death activates it again, up to the limit.
        services.diesAtOnce.set(true);
        services.down.set(true);
        onLoop(() -> {
            units.serviceChanged("web.service", true);
            return null;
        });
        awaitActivity(Activity.FAILED);
        settle();
        assertEquals(4, services.activated.size(), "the burst, then nothing: no busy loop on the unread datagram");
    }

    @Test
    void theTriggerLimitCountsOnlyWithinItsInterval() throws Exception {
        Path path = socketUnit("TriggerLimitIntervalSec=10s\nTriggerLimitBurst=3\n");
        // Each activation comes 4 s after the one before (the clock moves before the service goes down): never
        // more than 3 in 10 s, so the socket never fails.
        connect(path);
        for (int i = 1; i <= 6; i++) {
            int n = i;
            Await.until("activation " + n, WAIT, () -> services.activated.size() == n);
            now.addAndGet(Duration.ofSeconds(4).toNanos());
            services.down.set(true);
            onLoop(() -> {
                units.serviceChanged("web.service", true);
                return null;
            });
        }
        assertEquals(Activity.ACTIVE, onLoop(() -> units.activity("web.socket")), said.toString());
    }
}
