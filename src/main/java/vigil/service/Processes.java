package vigil.service;

import vigil.model.ServiceSpec;

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

    /** A pipe that lives until closed, independent of the processes attached to its ends. */
    Pipe openPipe() throws SpawnException;

    /**
     * The built-in log of the service (or logger) {@code spec}, for its processes' output.
     *
     * @throws SpawnException if its pipe cannot be made
     */
    OutputLog openLog(ServiceSpec spec) throws SpawnException;
}
