package vigil.http;

import java.util.concurrent.atomic.AtomicLong;
import vigil.control.ControlServer;
import vigil.service.ServiceEvent;
import vigil.service.UnitEvent;

/**
 * The daemon's counters for the metrics: spawns, spawns that failed, control requests. Incremented on the loop
 * thread as things happen (one add each), read by the HTTP threads.
 */
public final class DaemonCounters {
    private final AtomicLong spawns = new AtomicLong();
    private final AtomicLong spawnFailures = new AtomicLong();
    private final AtomicLong controlRequests = new AtomicLong();

    /** Counts what a service directory's event says was spawned, or failed to be. */
    public void serviceEvent(ServiceEvent event) {
        switch (event) {
            case ServiceEvent.Started s -> spawns.incrementAndGet();
            case ServiceEvent.SpawnFailed f -> spawnFailures.incrementAndGet();
            case ServiceEvent.ExecFailed f -> spawnFailures.incrementAndGet();
            default -> { }
        }
    }

    /** Counts what a unit's event says was spawned (its main process), or failed to be (any of its commands). */
    public void unitEvent(UnitEvent event) {
        switch (event) {
            case UnitEvent.Started s -> spawns.incrementAndGet();
            case UnitEvent.SpawnFailed f -> spawnFailures.incrementAndGet();
            case UnitEvent.ExecFailed f -> spawnFailures.incrementAndGet();
            case UnitEvent.ControlSpawnFailed f -> spawnFailures.incrementAndGet();
            case UnitEvent.ControlExecFailed f -> spawnFailures.incrementAndGet();
            default -> { }
        }
    }

    /** The control socket's handler, counting each request line before handling it. */
    public ControlServer.LineHandler counting(ControlServer.LineHandler handler) {
        return new ControlServer.LineHandler() {
            @Override
            public void line(ControlServer.Client client, String line) {
                controlRequests.incrementAndGet();
                handler.line(client, line);
            }

            @Override
            public void closed(ControlServer.Client client) {
                handler.closed(client);
            }
        };
    }

    long spawns() {
        return spawns.get();
    }

    long spawnFailures() {
        return spawnFailures.get();
    }

    long controlRequests() {
        return controlRequests.get();
    }
}
