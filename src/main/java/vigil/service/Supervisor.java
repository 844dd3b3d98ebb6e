package vigil.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.ServiceSpec;
import vigil.service.ProcessRequest.Stdio;

/**
 * All supervised services, by name. It pairs each service that has a logger with that logger through one pipe
 * made when the pair is added and kept until both are gone, so either side may restart without losing a byte.
 * When a service is removed (or Vigil exits), its logger is stopped only after it: the pipe's write end is closed
 * and the logger drains it to EOF, so the last lines are written.
 *
 * <p>The output no logger of the pair reads goes to the pair's {@link OutputLog}, Vigil's built-in log, also made
 * at add and closed only once the whole pair is gone: a lone service's stdout and stderr; for a service with a
 * logger, the logger's own stdout and stderr and the producer's stderr (what runit leaves to runsvdir's stderr).
 * The producer's stdout goes to its logger, as with runit.
 */
public final class Supervisor {
    private final Processes processes;
    private final Clock clock;
    private final ServiceListener listener;
    private final Map<String, Pair> pairs = new LinkedHashMap<>();
    private Runnable whenAllRemoved;

    /** A service, and its logger with the pipe between them if it has one; {@code log} takes the rest. */
    private record Pair(Service main, Service logger, Pipe pipe, OutputLog log) {
        List<Service> both() {
            return logger == null ? List.of(main) : List.of(main, logger);
        }
    }

    public Supervisor(Processes processes, Clock clock, ServiceListener listener) {
        this.processes = processes;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Starts supervising the spec (and its logger). Neither starts if the pipe between them or
     * the pipe of their built-in log cannot be made.
     *
     * @throws IllegalArgumentException if a service of that name is already supervised
     */
    public Service add(ServiceSpec spec) throws SpawnException {
        if (pairs.containsKey(spec.name())) {
            throw new IllegalArgumentException(spec.name() + ": a service of that name is already supervised");
        }
        if (pairs.isEmpty()) whenAllRemoved = null;
        PairListener pairListener = new PairListener();
        Pair pair;
        if (spec.logger().isPresent()) {
            ServiceSpec loggerSpec = spec.logger().get();
            Pipe pipe = processes.openPipe();
            OutputLog log;
            try {
                log = processes.openLog(loggerSpec.name(), loggerSpec.logDirectory());
            } catch (SpawnException e) {
                pipe.close();
                throw e;
            }
            Service main = new Service(spec, processes, clock, pairListener, new Stdio.Inherit(),
                    new Stdio.PipeWriteEnd(pipe), new Stdio.Log(log), true);
            Service logger = new Service(loggerSpec, processes, clock, pairListener, new Stdio.PipeReadEnd(pipe),
                    new Stdio.Log(log), new Stdio.Log(log), false);
            pair = new Pair(main, logger, pipe, log);
        } else {
            OutputLog log = processes.openLog(spec.name(), spec.logDirectory());
            Service main = new Service(spec, processes, clock, pairListener, new Stdio.Inherit(), new Stdio.Log(log),
                    new Stdio.Log(log), true);
            pair = new Pair(main, null, null, log);
        }
        pairListener.pair = pair;
        pairs.put(spec.name(), pair);
        if (pair.logger != null) pair.logger.begin();
        pair.main.begin();
        return pair.main;
    }

    /** The service of that name; a logger is named {@code NAME/log}. */
    public Optional<Service> get(String name) {
        if (name.endsWith("/log")) {
            Pair pair = pairs.get(name.substring(0, name.length() - 4));
            return pair == null ? Optional.empty() : Optional.ofNullable(pair.logger);
        }
        Pair pair = pairs.get(name);
        return pair == null ? Optional.empty() : Optional.of(pair.main);
    }

    /** Every service, loggers included, in the order they were added. */
    public Collection<Service> services() {
        List<Service> all = new ArrayList<>();
        for (Pair pair : pairs.values()) all.addAll(pair.both());
        return all;
    }

    /** Stops the service, then its logger, then forgets both. Unknown names are ignored. */
    public void remove(String name) {
        Pair pair = pairs.get(name);
        if (pair != null) pair.main.exit();
    }

    /**
     * The service directory was renamed: the same service, with a new name and paths. Nothing is restarted; the
     * new spec applies from the next start. A logger follows its service if both specs have one.
     */
    public void rename(String from, ServiceSpec renamed) {
        String to = renamed.name();
        if (!from.equals(to) && pairs.containsKey(to)) {
            throw new IllegalArgumentException(to + ": a service of that name is already supervised");
        }
        Pair pair = pairs.remove(from);
        if (pair == null) return;
        pair.main.respec(renamed);
        if (pair.logger != null && renamed.logger().isPresent()) pair.logger.respec(renamed.logger().get());
        pairs.put(to, pair);
    }

    /** Removes every service, each logger after its producer, and runs {@code done} once all are gone. */
    public void shutdown(Runnable done) {
        whenAllRemoved = done;
        if (pairs.isEmpty()) {
            runWhenAllRemoved();
            return;
        }
        for (Pair pair : List.copyOf(pairs.values())) pair.main.exit();
    }

    private void runWhenAllRemoved() {
        Runnable done = whenAllRemoved;
        whenAllRemoved = null;
        if (done != null) done.run();
    }

    /** Forwards to the daemon's listener, and sequences a pair's removal: producer, pipe, logger, then log. */
    private final class PairListener implements ServiceListener {
        Pair pair;

        @Override
        public void stateChanged(Service service) {
            listener.stateChanged(service);
        }

        @Override
        public void event(Service service, ServiceEvent event) {
            listener.event(service, event);
        }

        @Override
        public void removed(Service service) {
            if (service == pair.main && pair.logger != null) {
                listener.removed(service);
                pair.pipe.closeWriteEnd();
                pair.logger.drainAndExit();
                return;
            }
            if (pair.pipe != null) pair.pipe.close();
            // Before the name is free again: a service of the same name waiting for it opens the same directory.
            pair.log.close();
            pairs.values().remove(pair);
            listener.removed(service);
            if (pairs.isEmpty()) runWhenAllRemoved();
        }
    }
}
