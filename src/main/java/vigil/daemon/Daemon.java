package vigil.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.log.LogOptions;
import vigil.log.TimestampFormat;
import vigil.loop.EventLoop;
import vigil.model.ServiceSpec;
import vigil.os.Children;
import vigil.os.Errno;
import vigil.os.NativeHeap;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.os.Signals;
import vigil.scan.DirectoryWatcher;
import vigil.scan.ServiceHost;
import vigil.scan.ServiceTree;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceListener;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.service.Want;
import vigil.supervise.SuperviseFiles;

/**
 * {@code vigil daemon DIR...}: one event loop supervising every service directory in each DIR, until TERM or INT
 * stops every service (each logger after its producer) and the daemon exits 0. Service output and Vigil's own
 * messages are logged under the log directory (see {@link ServiceLogs}); every log is drained and closed before exit.
 */
public final class Daemon implements ServiceHost {
    private static final Duration TRIM_AFTER_QUIET = Duration.ofSeconds(2);

    private final EventLoop loop;
    private final Supervisor supervisor;
    private final SuperviseFiles supervise;
    private final Reporter reporter;
    private final List<ServiceTree> trees = new ArrayList<>();
    /** Services whose name is still held by a removed service that has not finished stopping. */
    private final Map<String, ServiceSpec> waitingForName = new HashMap<>();
    private boolean stopping;
    /** A pending heap trim after a burst of work; null when none is due. */
    private EventLoop.Timer trim;

    private Daemon(EventLoop loop, LinuxProcesses processes, Reporter reporter) {
        this.loop = loop;
        this.reporter = reporter;
        this.supervise = new SuperviseFiles(reporter::say);
        this.supervisor = new Supervisor(processes, new LoopClock(loop), new Listener());
    }

    /**
     * Runs the daemon to its end; returns the process exit code.
     *
     * @param logDir where the log directories of services and of Vigil itself go
     * @param timestamps how their lines are stamped
     */
    public static int run(List<Path> roots, Path logDir, TimestampFormat timestamps, PrintStream err) {
        Reporter reporter = new Reporter(err);
        try (EventLoop loop = EventLoop.create()) {
            Rlimits.Limit childLimits = Rlimits.raiseOpenFilesLimit();
            if (Children.getpid() != 1) Children.setChildSubreaper();
            ServiceLogs logs = new ServiceLogs(loop, logDir.toAbsolutePath(),
                    LogOptions.DEFAULT.withTimestamps(timestamps), reporter);
            try {
                reporter.logTo(loop, logs.openOwn());
            } catch (IOException e) {
                reporter.say("cannot open Vigil's own log, so its messages go to stderr only: " + e.getMessage());
            }
            LinuxProcesses processes = new LinuxProcesses(loop, childLimits, logs);
            Daemon daemon = new Daemon(loop, processes, reporter);
            loop.setErrorReporter(t -> {
                reporter.say("internal error (Vigil keeps running): " + t);
                t.printStackTrace(err);
            });
            for (Path root : roots) {
                if (!Files.isDirectory(root)) throw new IOException(root + ": not a directory");
            }
            DirectoryWatcher watcher = new DirectoryWatcher(loop);
            Map<String, String> environment = Map.copyOf(System.getenv());
            for (Path root : roots) {
                daemon.trees.add(new ServiceTree(root.toAbsolutePath().normalize(), watcher, daemon,
                        new LoopClock(loop), environment, reporter::say));
            }
            loop.onSignal(Signals.SIGTERM, () -> daemon.shutdown("TERM"));
            loop.onSignal(Signals.SIGINT, () -> daemon.shutdown("INT"));
            loop.onSignal(Signals.SIGHUP, daemon::rescan);
            loop.onSignal(Signals.SIGALRM, daemon::rescan);
            // The first scan runs on the loop like everything else, so whatever goes wrong in it is reported
            // and survived in the same way.
            loop.execute(daemon::startTrees);
            loop.run();
            watcher.close();
            reporter.say("all services stopped; exiting");
            return 0;
        } catch (IOException e) {
            reporter.say(e.getMessage());
            return 1;
        } finally {
            reporter.closeLog();
        }
    }

    private void startTrees() {
        for (ServiceTree tree : trees) {
            try {
                tree.start();
            } catch (IOException e) {
                reporter.say(tree.root() + ": cannot watch it, so changes will not be seen: " + e.getMessage());
                tree.rescan();
            }
        }
        reporter.say("supervising " + supervisor.services().size() + " services from "
                + String.join(", ", trees.stream().map(t -> t.root().toString()).toList()));
        trimSoon();
    }

    /**
     * After a burst of work, give the native heap's free pages back once things are quiet: a one-shot timer,
     * pushed back while work goes on, so an idle daemon never wakes for it.
     */
    private void trimSoon() {
        if (trim != null) trim.cancel();
        trim = loop.schedule(TRIM_AFTER_QUIET, () -> {
            trim = null;
            NativeHeap.trim();
        });
    }

    private void shutdown(String signal) {
        if (stopping) {
            reporter.say("got " + signal + " again; still stopping " + supervisor.services().size() + " services");
            return;
        }
        stopping = true;
        reporter.say("got " + signal + "; stopping " + supervisor.services().size() + " services");
        for (ServiceTree tree : trees) tree.close();
        waitingForName.clear();
        supervisor.shutdown(loop::stop);
    }

    private void rescan() {
        if (!stopping) trees.forEach(ServiceTree::rescan);
    }

    // ---- ServiceHost: what the trees ask for ----

    @Override
    public void add(ServiceSpec spec) throws CannotSupervise {
        Optional<Service> existing = supervisor.get(spec.name());
        if (existing.isPresent()) {
            if (existing.get().want() == Want.EXIT) {
                waitingForName.put(spec.name(), spec);
                return;
            }
            throw new CannotSupervise("ignored: a service of that name is already supervised from "
                    + existing.get().spec().directory(), false);
        }
        try {
            supervise.open(spec);
        } catch (IOException e) {
            throw new CannotSupervise(e.getMessage(), Errno.isShortage(e));
        }
        try {
            supervisor.add(spec);
            trimSoon();
        } catch (SpawnException e) {
            supervise.close(spec);
            throw new CannotSupervise("cannot start: " + e.getMessage(), Errno.isShortage(e.errno()));
        }
    }

    @Override
    public void remove(String name) {
        waitingForName.remove(name);
        supervisor.remove(name);
    }

    @Override
    public void rename(String from, ServiceSpec renamed) {
        Optional<Service> service = supervisor.get(from);
        if (service.isEmpty()) return;
        ServiceSpec old = service.get().spec();
        supervisor.rename(from, renamed);
        supervise.moved(old, renamed);
        supervise.stateChanged(service.get());
    }

    /** Writes supervise/ files and messages, and starts a service that waited for its name to be free. */
    private final class Listener implements ServiceListener {
        @Override
        public void stateChanged(Service service) {
            supervise.stateChanged(service);
        }

        @Override
        public void event(Service service, ServiceEvent event) {
            reporter.event(service, event);
        }

        @Override
        public void removed(Service service) {
            supervise.close(service.spec());
            String name = service.name().endsWith("/log")
                    ? service.name().substring(0, service.name().length() - 4) : service.name();
            if (stopping || supervisor.get(name).isPresent()) return;
            ServiceSpec waiting = waitingForName.remove(name);
            if (waiting == null) return;
            try {
                add(waiting);
            } catch (CannotSupervise e) {
                reporter.say(waiting.name(), e.getMessage());
            }
        }
    }
}
