package vigil.control;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import vigil.deps.JobEngine;
import vigil.deps.JobType;
import vigil.model.DirectorySpec;
import vigil.os.Ending;
import vigil.service.Service;
import vigil.service.UnitService;

/** What the control commands need from the daemon that runs them. All calls come on the loop thread. */
public interface ControlHost {
    /** Every supervised service, loggers included. */
    Collection<Service> services();

    /** The service of that name; a logger is {@code NAME/log}. */
    Optional<Service> service(String name);

    /**
     * Supervises a transient service as if it had been found in a scanned directory.
     *
     * @throws Protocol.Failure if it cannot be supervised, with the reason
     */
    void add(DirectorySpec spec) throws Protocol.Failure;

    /** Stops the service (then its logger) and forgets it. */
    void remove(String name);

    /** Every systemd unit the daemon runs. */
    Collection<UnitService> units();

    /** The unit of that name ({@code foo} means {@code foo.service}). */
    Optional<UnitService> unit(String name);

    /** Starts, stops or restarts a unit through a transaction of the job engine, with what it needs. */
    JobEngine.Outcome unitJob(JobType type, String name);

    /** Isolates to a target: starts it with what it pulls in, stops every other unit (AllowIsolate=yes only). */
    JobEngine.Outcome isolate(String target);

    /** The directories of unit files, in search order. */
    List<Path> unitDirectories();

    /** The job engine: its graph, what each node's activity is, and the installed jobs (list-units, show...). */
    JobEngine engine();

    /** The unit's or target's {@code Description=}, empty if it has none or was not loaded from a file. */
    String description(String name);

    /** The file the unit or target was loaded from. */
    Optional<Path> unitFile(String name);

    /**
     * Starts, stops or restarts a service directory through the job engine if its place in the graph calls for it
     * (it requires others, or others require it); empty: the plain request applies.
     */
    default Optional<JobEngine.Outcome> directoryJob(JobType type, String name) {
        return Optional.empty();
    }

    /**
     * Reads the unit files again, off the loop; {@code done} gets what changed, in one line, on the loop thread
     * once it is applied.
     */
    void daemonReload(Consumer<String> done);

    /**
     * Every listening address of the socket units, one map each: {@code listen}, {@code type}, {@code unit},
     * {@code activates}, {@code state}, {@code accepted}, {@code connections}.
     */
    default java.util.List<java.util.Map<String, Object>> sockets() {
        return java.util.List.of();
    }

    /** Looks at every scanned directory again. */
    void rescan();

    /**
     * Stops every service in order and then exits; {@code why} is said in the daemon's log. {@code then} is how
     * the system should end afterwards: only {@code vigil init} acts on it.
     */
    void shutdown(String why, Optional<Ending> then);

    /** True once a shutdown has begun. */
    boolean stopping();

    /** Where log directories go unless a service says otherwise; Vigil's own log is {@code vigil} in it. */
    Path logRoot();

    /** The directory of Vigil's built-in log of the service's output, if its stdout goes there (not to a logger). */
    Optional<Path> logDirectory(Service service);

    /** The directory of Vigil's built-in log of the unit's output (journal, syslog and kmsg all mean it). */
    Optional<Path> logDirectory(UnitService unit);

    /** What the unit's cgroups use now (memory, CPU, tasks, OOM kills), if it has resource control. */
    default Optional<vigil.resources.ResourceUsage> resourceUsage(UnitService unit) {
        return Optional.empty();
    }

    /** What a service directory's cgroups use now, if it has resource control (a {@code resources} file). */
    default Optional<vigil.resources.ResourceUsage> resourceUsage(String directoryService) {
        return Optional.empty();
    }

    /**
     * What the cgroup of the service or unit {@code name} holds now (see {@link vigil.cgroup.CgroupStatus}); empty
     * where it has none.
     */
    default Optional<java.util.Map<String, Object>> cgroupStatus(String name) {
        return Optional.empty();
    }

    /**
     * Rotates the built-in log of the service {@code name} ({@code NAME.log}: its logger's; {@code vigil}: the
     * daemon's own) and returns its directory.
     *
     * @throws Protocol.Failure if there is no such log or it cannot be opened
     */
    Path rotateLog(String name) throws Protocol.Failure;

    /**
     * {@code daemon-reexec}: hands everything to a fresh exec of the daemon, which answers on {@code client}'s
     * connection once it is up; {@code failed} hears why, if the old daemon goes on instead.
     */
    void daemonReexec(ControlServer.Client client, Object id, java.util.function.Consumer<String> failed);

    /**
     * The service directories and units the daemon would not load (a missing or non-executable run, a bad
     * down-signal, a broken unit file...), each with why, by name: status lists them.
     */
    default Map<String, String> refused() {
        return Map.of();
    }
}
