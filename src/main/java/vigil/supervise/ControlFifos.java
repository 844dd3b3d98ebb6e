package vigil.supervise;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import vigil.loop.EventLoop;
import vigil.loop.Failures;
import vigil.model.Command;
import vigil.os.Epoll;
import vigil.os.ExitStatus;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Signals;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.Processes;
import vigil.service.Service;
import vigil.service.ServiceState;
import vigil.service.SpawnException;
import vigil.service.Want;

/**
 * runsv's side of the {@code supervise/control} FIFO: command bytes from {@code sv}, {@code svc} or a plain
 * {@code echo}, applied to the {@link Service} one at a time, in order (runit §1.4), with the service
 * directory's {@code control/<c>} scripts run where runsv runs them (§1.5).
 *
 * <p>Unlike runsv, nothing here blocks: a control script is a child like any other, and while one runs, that
 * service's later bytes wait in the FIFO. A flood of bytes is read {@link #BYTES_PER_TURN} at a time, so other fds
 * get their turn in between.
 */
public final class ControlFifos {
    /** Bytes read from one FIFO per turn of the loop. */
    static final int BYTES_PER_TURN = 64;

    private final EventLoop loop;
    private final Processes processes;
    private final BiConsumer<String, String> say;
    private final Map<Service, Fifo> fifos = new IdentityHashMap<>();
    /** One buffer for every read: all reads happen on the loop thread. */
    private final MemorySegment buffer = Arena.ofAuto().allocate(BYTES_PER_TURN);
    private Router router = (service, up) -> false;

    /** Where {@code u} and {@code d} go first: the dependency engine, for a directory linked to others. */
    @FunctionalInterface
    public interface Router {
        /**
         * Takes {@code u} ({@code up}) or {@code d} over if the service's place in the dependency graph calls for a
         * job (its requirements to start first, or what requires it to stop first); false: it applies as in runsv.
         */
        boolean route(Service service, boolean up);
    }

    /**
     * @param processes runs the control scripts
     * @param say       receives (service name, message) lines for the operator
     */
    public ControlFifos(EventLoop loop, Processes processes, BiConsumer<String, String> say) {
        this.loop = loop;
        this.processes = processes;
        this.say = say;
    }

    public void route(Router router) {
        this.router = router;
    }

    /**
     * Stops the service as {@code d} from its FIFO does, its control scripts included, without asking the router:
     * the dependency engine's stop of a directory.
     */
    public void down(Service service) {
        Fifo fifo = fifos.get(service);
        if (fifo == null || fifo.scriptRunning) {
            service.stop();
        } else if (fifo.applying) {
            fifo.down();
        } else {
            fifo.applyPending(fifo::down);
        }
    }

    /**
     * Starts taking commands for the service from its control FIFO.
     *
     * @param logger a logger ignores {@code x} and has no control scripts, as in runsv
     */
    public void attach(Service service, SuperviseDir dir, boolean logger) {
        detach(service);
        Fifo fifo = new Fifo(service, dir.controlFd(), logger);
        try {
            fifo.registration = loop.watch(fifo.fd, Epoll.EPOLLIN, events -> fifo.readable());
            fifos.put(service, fifo);
        } catch (OsException e) {
            say.accept(service.name(), "supervise/control is not read: " + e.getMessage());
        }
    }

    /** Stops reading the service's FIFO; call before its {@link SuperviseDir} is closed. */
    public void detach(Service service) {
        Fifo fifo = fifos.remove(service);
        if (fifo != null) fifo.close();
    }

    private final class Fifo {
        final Service service;
        final int fd;
        final boolean logger;
        EventLoop.Registration registration;
        /** Bytes read but not applied yet, because a control script runs. */
        byte[] pending = new byte[0];
        int next;
        boolean scriptRunning;
        /** Within {@link #applyPending}, which watches the FIFO again as a script's start or end calls for. */
        boolean applying;
        boolean closed;

        Fifo(Service service, int fd, boolean logger) {
            this.service = service;
            this.fd = fd;
            this.logger = logger;
        }

        void readable() throws OsException {
            if (closed || scriptRunning) return;
            long n = Fds.read(fd, buffer, BYTES_PER_TURN);
            if (n <= 0) return;
            pending = buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            next = 0;
            applyPending(() -> {});
        }

        /**
         * Runs {@code first} (the rest of the command whose script has just ended), then applies bytes until they
         * run out or one starts a script; then waits for that script. A command that throws (a bug) costs only
         * itself: the bytes after it still apply, and the FIFO is watched again, or every later command to the
         * service would be ignored. The first failure goes to the loop once that is done.
         */
        void applyPending(Runnable first) {
            Failures failures = new Failures();
            applying = true;
            failures.attempt(first);
            while (!closed && !scriptRunning && next < pending.length) {
                char c = (char) (pending[next++] & 0xff);
                failures.attempt(() -> apply(c));
            }
            applying = false;
            if (!closed) {
                try {
                    registration.modify(scriptRunning ? 0 : Epoll.EPOLLIN);
                } catch (OsException e) {
                    say.accept(service.name(), "supervise/control is not read any more: " + e.getMessage());
                }
            }
            failures.throwIfAny();
        }

        void close() {
            closed = true;
            registration.cancel();
        }

        private boolean running() {
            return service.state() instanceof ServiceState.Up || service.state() instanceof ServiceState.Stopping;
        }

        private void apply(char c) {
            switch (c) {
                // control/u runs in the new process itself, before every ./run (see Service): nothing to do here.
                case 'u' -> {
                    if (logger || !router.route(service, true)) service.start();
                }
                case 'o' -> service.once();
                case 'd' -> {
                    if (logger || !router.route(service, false)) down();
                }
                case 'x' -> {
                    // The logger of a service directory leaves only with its service.
                    if (logger) return;
                    if (running()) {
                        service.wantExit();
                        stop(service::exit);
                    } else {
                        service.exit();
                    }
                }
                case 't' -> {
                    if (running()) stop(() -> service.signal(Signals.SIGTERM));
                }
                case 'p' -> pauseOrContinue(c, Signals.SIGSTOP, true);
                case 'c' -> pauseOrContinue(c, Signals.SIGCONT, false);
                case 'k' -> signal(c, Signals.SIGKILL);
                case 'h' -> signal(c, Signals.SIGHUP);
                case 'a' -> signal(c, Signals.SIGALRM);
                case 'i' -> signal(c, Signals.SIGINT);
                case 'q' -> signal(c, Signals.SIGQUIT);
                case '1' -> signal(c, Signals.SIGUSR1);
                case '2' -> signal(c, Signals.SIGUSR2);
                default -> {}
            }
        }

        void down() {
            service.wantDown();
            if (running()) stop(service::stop);
        }

        /**
         * runsv's stopservice: {@code control/t}, or {@code term} if it has none or it did not exit 0; then, for a
         * service wanted down or gone, CONT and {@code control/d} or {@code control/x}.
         */
        private void stop(Runnable term) {
            custom('t', ok -> {
                if (!ok) term.run();
                if (service.want() == Want.UP) return;
                // A stop has sent CONT already as part of term; a second one is harmless.
                service.wake();
                custom(service.want() == Want.DOWN ? 'd' : 'x', ignored -> {});
            });
        }

        private void signal(char c, int signal) {
            if (running()) custom(c, ok -> {
                if (!ok) service.signal(signal);
            });
        }

        /** STOP and CONT set or clear the paused flag whatever happens: nothing runs, or a script acts instead. */
        private void pauseOrContinue(char c, int signal, boolean paused) {
            if (!running()) {
                service.markPaused(paused);
                return;
            }
            custom(c, ok -> {
                if (ok) service.markPaused(paused);
                else service.signal(signal);
            });
        }

        /**
         * Runs {@code control/<c>} if the service has one that its owner may execute, then {@code then} with
         * whether it exited 0; without a script, {@code then} gets false at once.
         */
        private void custom(char c, Consumer<Boolean> then) {
            Path script = service.spec().directory().resolve("control").resolve(String.valueOf(c));
            if (logger || !ownerExecutable(script)) {
                then.accept(false);
                return;
            }
            // runsv's arguments: the script's relative name, then the pid ("" if nothing runs).
            int pid = service.pid();
            Command command = new Command(script, List.of("control/" + c, pid == 0 ? "" : Integer.toString(pid)),
                    service.spec().directory(), service.spec().run().environment());
            ProcessRequest request = ProcessRequest.of(command).withStdin(new Stdio.Null())
                    .withStdout(service.output());
            ScriptObserver observer = new ScriptObserver(then);
            try {
                processes.start(request, observer);
            } catch (SpawnException e) {
                say.accept(service.name(), "cannot run control/" + c + ": " + e.getMessage());
                then.accept(false);
                return;
            }
            scriptRunning = true;
        }

        private final class ScriptObserver implements ProcessObserver {
            final Consumer<Boolean> then;

            ScriptObserver(Consumer<Boolean> then) {
                this.then = then;
            }

            @Override
            public void execFailed(int errno, String reason) {
                say.accept(service.name(), "control script: " + reason);
            }

            @Override
            public void exited(ExitStatus status) {
                scriptRunning = false;
                if (closed) return;
                boolean ok = status.exited() && status.code() == 0;
                applyPending(() -> then.accept(ok));
            }
        }
    }

    private static boolean ownerExecutable(Path script) {
        try {
            return Files.isRegularFile(script)
                    && Files.getPosixFilePermissions(script).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (IOException e) {
            return false;
        }
    }
}
