package vigil.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import vigil.model.UnitSpec;

/**
 * What a unit needs of the operating system beyond starting processes: the main process of a forking daemon is
 * not one Vigil started, without cgroups a unit's leftover processes are reached through their process group, and
 * its files (PID file, environment files, directories) are read or made at the moment the state machine needs them.
 */
public interface UnitOs {
    /**
     * Watches a process Vigil did not start itself (a forking daemon's real main process, reparented to Vigil as
     * subreaper, or a pid named by {@code MAINPID=}) as a unit's new main process. The observer hears only its exit.
     *
     * <p>It must belong to the unit: be in the unit's cgroup {@code group}, as systemd asks; without cgroups, be one
     * of {@code unitProcesses} or descend from one, following the process's ancestry. A process outside the unit is taken
     * only if the claim is {@code vouched} for by root, as systemd takes it; never Vigil itself nor PID 1. The
     * process is pinned (a pidfd) before it is checked, so its pid cannot be reused by another between the check and
     * the signals Vigil later sends it.
     *
     * @param vouched the claim comes from root: a {@code MAINPID=} sent by uid 0, or a PID file only root could
     *                have written ({@link PidFile#untrusted} empty)
     * @throws SpawnException if the process does not exist (any more): {@code ESRCH}; or is refused: {@code EPERM},
     *                        its message saying why
     */
    RunningProcess adopt(int pid, List<RunningProcess> unitProcesses, Optional<ControlGroup> group, boolean vouched,
                         ProcessObserver observer) throws SpawnException;

    /**
     * When {@code process} started, in clock ticks since boot, for {@code daemon-reexec}'s {@link #retake}; empty if
     * it has exited.
     */
    OptionalLong startTicks(RunningProcess process);

    /**
     * The new daemon's side of {@code daemon-reexec}: watches a unit's main process again. A child of this process
     * (the pid is the same across the exec) is watched as one, its output going to {@code stdout}; another process
     * (a forking daemon's or a {@code MAINPID=}'s that is not Vigil's child) is pinned by a new pidfd, then
     * accepted only if it started when {@code main} says, so that a process that got the pid since is never taken.
     *
     * @throws SpawnException if the process is gone, or the pid is another process's now
     */
    RunningProcess retake(UnitSnapshot.Main main, ProcessRequest.Stdio stdout, ProcessObserver observer)
            throws SpawnException;

    /**
     * The unit no longer follows {@code process}: a {@code MAINPID=} named another main process while it still ran
     * (a wrapper that stays, waiting for the daemon it started). It is reaped when it ends, and nothing waits for it:
     * not a {@code daemon-reexec}'s quiet moment either.
     */
    void release(RunningProcess process);

    /** The pid in a PID file, if the file exists and holds one, and whether only root could have written it. */
    Optional<PidFile> readPidFile(Path file);

    /**
     * What a PID file says.
     *
     * @param untrusted why someone other than root could have written it (it, a directory on its way or a symlink
     *                  that leads to it is owned by another user), or empty: then its pid is believed as root's word
     */
    record PidFile(int pid, Optional<String> untrusted) {}

    /**
     * Makes the unit's directories (and their parents) if missing, with their mode and owner.
     *
     * @throws SpawnException naming the directory that could not be made
     */
    void makeDirectories(List<UnitSpec.Directory> directories) throws SpawnException;

    /** Removes these directories and what is in them; a failure is only reported. */
    void removeDirectories(List<UnitSpec.Directory> directories);

    /**
     * The variables one {@code EnvironmentFile=} sets, read now: systemd reads a unit's files each time it runs one
     * of its commands.
     *
     * @throws SpawnException saying why the file cannot be read (it does not exist, no permission...)
     */
    Map<String, String> readEnvironmentFile(Path file) throws SpawnException;

    /** Whether the condition's check holds for its path now, before its {@code !} is applied. */
    boolean holds(UnitSpec.Condition condition);

    /**
     * The cgroup directories the unit's processes join for its resource control ({@link UnitSpec#resources}), made
     * now with its limits written; none where the unit has no limits or the host no cgroups.
     *
     * @throws SpawnException naming the cgroup that could not be made, and why: the process does not start
     */
    default List<Path> resourceCgroups(UnitSpec spec) throws SpawnException {
        return List.of();
    }

    /** How many of the unit's processes the OOM killer has killed in its resource cgroups; 0 without them. */
    default long oomKills(String unit) {
        return 0;
    }

    /** The unit is down: its resource cgroups go once no process is left in them. */
    default void releaseResourceCgroups(String unit) { }

    /** Sends a signal to every process of the group; false if the group has no process left. */
    boolean signalGroup(int pgid, int signal);

    /**
     * What a forking start left behind, as systemd's {@code service_search_main_pid()} looks for it: the live
     * processes whose parent is gone (so Vigil, the subreaper, is their parent now) and that no unit has taken; in the
     * unit's cgroup if it has one, else among all of Vigil's orphans started no earlier than {@code sinceTicks} (the
     * start's control process, in {@link #startTicks} ticks).
     */
    default List<Integer> forkedOrphans(Optional<ControlGroup> group, long sinceTicks) {
        return List.of();
    }

    /** The process group {@code pid} is in, or 0 if it is gone. */
    int processGroupOf(int pid);

    /**
     * Opens the unit's notify socket, its processes' {@code NOTIFY_SOCKET}, which outlives each of them. Every
     * message that comes in goes to {@code receiver}, on the loop thread.
     *
     * @return its path, or empty if it cannot be made (the daemon says why; the unit's sd_notify messages are lost)
     */
    Optional<Path> openNotifySocket(String unit, NotifyReceiver receiver);

    /** Closes the unit's notify socket, if it has one, and removes its file. */
    void closeNotifySocket(String unit);

    /** Takes a unit's sd_notify messages. */
    @FunctionalInterface
    interface NotifyReceiver {
        /**
         * @param senderUid the sender's uid as the kernel saw it (SCM_CREDENTIALS): root's {@code MAINPID=} is
         *                  believed for any pid
         * @param fields the message's {@code KEY=VALUE} lines; the last value of a key wins
         * @return false if the unit's {@code NotifyAccess=} refused the sender
         */
        boolean receive(int senderPid, int senderUid, Map<String, String> fields);
    }
}
