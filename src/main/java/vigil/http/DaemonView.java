package vigil.http;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the HTTP endpoints read of the daemon besides its status entries, called on the loop thread: only
 * fields, no file reads (the cgroup's numbers are read from its directory afterwards, off the loop).
 */
public interface DaemonView {
    /** One service's figures for the metrics, by the name its status entry has. */
    record ServiceFacts(String name, Optional<Path> cgroup, long logBytes, long logLines) {}

    List<ServiceFacts> services();

    /** The first scan (and, after a re-exec, the units' first load) is done: until then no service is missing. */
    boolean settled();

    boolean stopping();

    /** Event subscribers the control socket dropped for not reading; thread-safe. */
    long droppedSubscribers();
}
