package vigil.service;

import java.nio.file.Path;
import java.util.List;

/**
 * Every process of one service, as the kernel tracks them (its cgroup): a process a service starts stays in it
 * whatever it does, double forks and setsid() included, so a stop reaches all of them. The daemon backs this with
 * a cgroup v2 directory; tests use a fake. All methods run on the loop thread.
 */
public interface ControlGroup {
    /**
     * The cgroup directories a process of the service joins before it executes anything, the v2 one first; more
     * (v1 controllers' directories on a hybrid host) may follow.
     */
    List<Path> directories();

    /** The cgroup's name in its hierarchy, for status: {@code /vigil.slice/web.service}. */
    String name();

    /** The pids of every process in it now (empty once it is empty). */
    List<Integer> pids();

    /** Whether a process is left in it. */
    boolean populated();

    /**
     * Sends {@code signal} to every process in it but those in {@code except} (already signalled by pidfd);
     * returns how many got it.
     */
    int signalAll(int signal, List<Integer> except);

    /**
     * SIGKILL to every process in it at once ({@code cgroup.kill}): atomic, so a process forking meanwhile cannot
     * escape; returns whether there was a process to kill.
     */
    boolean killAll();

    /**
     * Runs {@code whenEmpty} once, on the loop thread, when the last process has left; at once (but not within
     * this call) if it is empty already. A new call replaces the previous one.
     */
    void onEmpty(Runnable whenEmpty);

    /** No longer needed: its directory goes once empty. */
    void release();
}
