package vigil.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.Clock;
import vigil.service.OutputLog;
import vigil.service.Pipe;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.Processes;
import vigil.service.RunningProcess;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceListener;
import vigil.service.ServiceState;
import vigil.service.Supervisor;
import vigil.service.Want;
import vigil.testing.Await;
import vigil.testing.LoopThread;

/** The control FIFO against a real loop and FIFO, with processes that exist only in memory. */
class ControlFifosTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private Path dir;
    private LoopThread loop;
    private SuperviseDir supervise;
    private final FakeProcesses processes = new FakeProcesses();
    private Service web;

    /** Starts {@code web} under a loop of its own, its control FIFO attached; {@code scripts} are its control/. */
    private void start(String... scripts) throws Exception {
        dir = tmp.resolve("web");
        Files.createDirectories(dir.resolve("control"));
        for (String script : scripts) {
            Path file = dir.resolve("control").resolve(script);
            Files.writeString(file, "#!/bin/sh\nexit 1\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        supervise = SuperviseDir.open(dir);
        loop = new LoopThread("control-fifos");
        ControlFifos fifos = new ControlFifos(loop.loop(), processes, (name, message) -> {});
        ServiceListener quiet = new ServiceListener() {
            @Override
            public void stateChanged(Service service) {}

            @Override
            public void event(Service service, ServiceEvent event) {}
        };
        // Service directories only: no unit needs the operating system here.
        Supervisor supervisor = new Supervisor(processes, null, new StillClock(), quiet, null);
        web = loop.call(() -> {
            supervisor.add(DirectorySpec.simple("web", dir,
                    new Command(dir.resolve("run"), List.of("./run"), dir, Map.of())));
            Service service = supervisor.get("web").orElseThrow();
            fifos.attach(service, supervise, false);
            return service;
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (loop != null) loop.close();
        if (supervise != null) supervise.close();
    }

    private void send(String commands) throws IOException {
        Files.writeString(dir.resolve("supervise/control"), commands, StandardCharsets.US_ASCII,
                StandardOpenOption.WRITE);
    }

    private void awaitWant(Want want) {
        Await.until("web wanted " + want, TIMEOUT, () -> {
            try {
                return loop.call(web::want) == want;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void aCommandThatThrowsCostsOnlyItself() throws Exception {
        start();
        FakeProcess run = processes.started.getFirst();
        run.buggySignal = Signals.SIGKILL;
        send("kd");
        awaitWant(Want.DOWN);
        assertEquals(List.of("a bug in signal"), loop.errors().stream().map(Throwable::getMessage).toList());
        assertInstanceOf(ServiceState.Stopping.class, loop.call(web::state));
        assertEquals(Signals.SIGTERM, run.signals.getFirst(), "d sent the down-signal");

        send("u");
        awaitWant(Want.UP);
    }

    @Test
    void aCommandThatThrowsAfterItsScriptLeavesTheFifoWatched() throws Exception {
        start("k");
        FakeProcess run = processes.started.getFirst();
        run.buggySignal = Signals.SIGKILL;
        send("kd");
        FakeProcess script = Await.value("control/k started", TIMEOUT,
                () -> processes.started.size() == 2 ? processes.started.get(1) : null);
        assertEquals(List.of("control/k", Integer.toString(run.pid)), script.request.command().argv());
        assertEquals(Want.UP, loop.call(web::want), "d waits for control/k");

        // control/k exits 1, so k's SIGKILL follows, and throws; d, held up by the script, must still apply.
        loop.loop().execute(() -> script.observer.exited(ExitStatus.exited(1)));
        awaitWant(Want.DOWN);
        assertEquals(List.of("a bug in signal"), loop.errors().stream().map(Throwable::getMessage).toList());
        assertEquals(Signals.SIGTERM, run.signals.getFirst(), "d sent the down-signal");

        send("u");
        awaitWant(Want.UP);
    }

    /** Processes that exist only in memory: each is told of its end by the test. */
    private static final class FakeProcesses implements Processes {
        final List<FakeProcess> started = new CopyOnWriteArrayList<>();

        @Override
        public RunningProcess start(ProcessRequest request, ProcessObserver observer) {
            FakeProcess process = new FakeProcess(100 + started.size(), request, observer);
            started.add(process);
            return process;
        }

        @Override
        public RunningProcess resume(int pid, ProcessRequest.Stdio stdout, ProcessRequest.Stdio stderr,
                                     ProcessObserver observer) {
            throw new UnsupportedOperationException("no re-exec here");
        }

        @Override
        public Pipe openPipe() {
            return new Pipe() {
                @Override
                public void closeWriteEnd() {}

                @Override
                public void close() {}
            };
        }

        @Override
        public OutputLog openLog(String name, Optional<Path> directory) {
            return () -> {};
        }
    }

    private static final class FakeProcess implements RunningProcess {
        final int pid;
        final ProcessRequest request;
        final ProcessObserver observer;
        final List<Integer> signals = new CopyOnWriteArrayList<>();
        /** This signal throws: a bug on the way that its callers cannot expect. */
        volatile int buggySignal;

        FakeProcess(int pid, ProcessRequest request, ProcessObserver observer) {
            this.pid = pid;
            this.request = request;
            this.observer = observer;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Optional<String> signal(int signal) {
            if (signal == buggySignal) throw new IllegalStateException("a bug in signal");
            signals.add(signal);
            return Optional.empty();
        }
    }

    /** Time that never passes: no timer of these tests is meant to fire. */
    private static final class StillClock implements Clock {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public Timer schedule(Duration delay, Runnable task) {
            return () -> {};
        }
    }
}
