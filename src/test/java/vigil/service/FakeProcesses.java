package vigil.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import vigil.os.ExitStatus;

/** Processes that exist only in memory: the test decides when each becomes ready or exits. */
final class FakeProcesses implements Processes {
    final List<FakeProcess> started = new ArrayList<>();
    final List<FakePipe> pipes = new ArrayList<>();
    final List<FakeLog> logs = new ArrayList<>();
    private int nextPid = 100;
    /** Each service's cgroup, by name, once {@link #trackInCgroups} is on. */
    final java.util.Map<String, FakeControlGroup> groups = new java.util.HashMap<>();
    private boolean cgroups;
    java.time.Duration defaultStopTimeout = java.time.Duration.ofSeconds(90);
    private String failNextStart;

    final class FakeProcess implements RunningProcess {
        final int pid;
        final ProcessRequest request;
        final ProcessObserver observer;
        final List<Integer> signals = new ArrayList<>();
        boolean exited;
        /** The kernel refuses its signals, as for a process that took a uid Vigil may not signal (EPERM). */
        boolean refusesSignals;
        /** Thrown by every signal: a bug on the way, which the callers cannot expect. */
        RuntimeException signalBug;

        FakeProcess(ProcessRequest request, ProcessObserver observer) {
            this(nextPid++, request, observer);
        }

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
            if (signalBug != null) throw signalBug;
            if (exited) return Optional.empty();
            if (refusesSignals) return Optional.of("Operation not permitted");
            signals.add(signal);
            return Optional.empty();
        }

        List<String> argv() {
            return request.command().argv();
        }

        void exit(int code) {
            end(ExitStatus.exited(code));
        }

        void killedBy(int signal) {
            end(ExitStatus.killed(signal));
        }

        void end(ExitStatus status) {
            if (exited) throw new AssertionError("pid " + pid + " already exited");
            exited = true;
            observer.exited(status);
        }

        void reportReady() {
            observer.ready();
        }

        /** The helper's execve succeeded: the program runs. */
        void execSucceeded() {
            observer.execSucceeded();
        }
    }

    static final class FakePipe implements Pipe {
        boolean writeEndClosed;
        boolean closed;

        @Override
        public void closeWriteEnd() {
            writeEndClosed = true;
        }

        @Override
        public void close() {
            writeEndClosed = true;
            closed = true;
        }
    }

    /** A built-in log that remembers whether it was closed. */
    static final class FakeLog implements OutputLog {
        final String service;
        boolean closed;

        FakeLog(String service) {
            this.service = service;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Services get a cgroup each from now on. */
    void trackInCgroups() {
        cgroups = true;
    }

    FakeControlGroup group(String name) {
        FakeControlGroup g = groups.get(name);
        if (g == null) throw new AssertionError("no cgroup for " + name);
        return g;
    }

    @Override
    public Optional<ControlGroup> controlGroup(String name) {
        if (!cgroups) return Optional.empty();
        return Optional.of(groups.computeIfAbsent(name, n -> new FakeControlGroup(this, n)));
    }

    @Override
    public java.time.Duration defaultStopTimeout() {
        return defaultStopTimeout;
    }

    /** The next start fails as fork does when the system is out of processes. */
    void failNextStart(String reason) {
        failNextStart = reason;
    }

    @Override
    public RunningProcess start(ProcessRequest request, ProcessObserver observer) throws SpawnException {
        if (failNextStart != null) {
            String reason = failNextStart;
            failNextStart = null;
            throw new SpawnException(reason, 11);
        }
        FakeProcess p = new FakeProcess(request, observer);
        started.add(p);
        return p;
    }

    /** Processes taken over after a re-exec, by pid; a pid in {@link #notChildren} is refused. */
    final List<FakeProcess> resumed = new ArrayList<>();
    final List<Integer> notChildren = new ArrayList<>();

    @Override
    public RunningProcess resume(int pid, ProcessRequest.Stdio stdout, ProcessRequest.Stdio stderr,
                                 ProcessObserver observer) throws SpawnException {
        if (notChildren.contains(pid)) throw new SpawnException("pid " + pid + " is not a child", 10);
        FakeProcess p = new FakeProcess(pid, ProcessRequest.of(new vigil.model.Command(Path.of("/resumed"),
                List.of("resumed"), Path.of("/"), java.util.Map.of())).withStdout(stdout).withStderr(stderr), observer);
        resumed.add(p);
        return p;
    }

    @Override
    public Pipe openPipe() {
        FakePipe pipe = new FakePipe();
        pipes.add(pipe);
        return pipe;
    }

    @Override
    public OutputLog openLog(String name, Optional<Path> directory) {
        FakeLog log = new FakeLog(name);
        logs.add(log);
        return log;
    }

    FakeProcess last() {
        if (started.isEmpty()) throw new AssertionError("nothing was started");
        return started.getLast();
    }

    /** The most recent process whose argv[0] is this, e.g. "./run" or "./finish". */
    FakeProcess last(String argv0) {
        return started.reversed().stream().filter(p -> p.argv().getFirst().equals(argv0)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + argv0 + " was started; started: " + started.stream()
                        .map(FakeProcess::argv).toList()));
    }

    long count(String argv0) {
        return started.stream().filter(p -> p.argv().getFirst().equals(argv0)).count();
    }
}
