package vigil.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import vigil.model.ResourceLimits;

/**
 * The operating system as the state machines see it: start processes, make pipes. Everything a started process
 * does later (its exec failing, its readiness, its exit) comes back through its {@link ProcessObserver}, on the
 * loop thread. The daemon backs this with posix_spawn of vigil-exec; tests use a fake.
 */
public interface Processes {
    /**
     * Starts the process. The observer hears about it until {@link ProcessObserver#exited} and never after.
     *
     * @throws SpawnException if no process could be made (out of processes, fds or memory); nothing was started
     */
    RunningProcess start(ProcessRequest request, ProcessObserver observer) throws SpawnException;

    /**
     * The cgroup directories a process of the service {@code name} joins for its resource {@code limits}, made now
     * with the limits written; none without limits, or where the host has no cgroups.
     *
     * @throws SpawnException naming the cgroup that could not be made: the process does not start
     */
    default List<Path> resourceCgroups(String name, ResourceLimits limits) throws SpawnException {
        return List.of();
    }

    /** The service is down: its resource cgroups go once no process is left in them. */
    default void releaseResourceCgroups(String name) { }

    /**
     * Watches {@code pid} again after {@code daemon-reexec}: a process this daemon started before its exec, and so
     * still its child. Its output goes to {@code stdout} and {@code stderr}, as when it was started.
     *
     * @throws SpawnException if {@code pid} is not a child of this process
     */
    RunningProcess resume(int pid, ProcessRequest.Stdio stdout, ProcessRequest.Stdio stderr, ProcessObserver observer)
            throws SpawnException;

    /** A pipe that lives until closed, independent of the processes attached to its ends. */
    Pipe openPipe() throws SpawnException;

    /**
     * The built-in log named {@code name} (a service, a logger, a unit), for its processes' output: in
     * {@code directory} if given, else in the daemon's log directory under that name.
     *
     * @throws SpawnException if its pipe cannot be made
     */
    OutputLog openLog(String name, Optional<Path> directory) throws SpawnException;

    /**
     * The cgroup of the service {@code name} (a unit's name, a service directory's or its logger's), made if
     * missing; empty where processes are not tracked in cgroups (the daemon said once why), or if this one cannot
     * be made (the daemon said so, naming the service).
     */
    default Optional<ControlGroup> controlGroup(String name) {
        return Optional.empty();
    }

    /** As {@link #controlGroup(String)}, for a unit with {@code Slice=}: in that sub-slice of the daemon's slice. */
    default Optional<ControlGroup> controlGroup(String name, Optional<String> slice) {
        return controlGroup(name);
    }

    /** How long a stop waits before the final SIGKILL where the service sets no time of its own. */
    default java.time.Duration defaultStopTimeout() {
        return java.time.Duration.ofSeconds(90);
    }
}
