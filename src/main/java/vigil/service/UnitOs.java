package vigil.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.UnitSpec;

/**
 * What a unit needs of the operating system beyond starting processes: the main process of a forking daemon is
 * not one Vigil started, without cgroups a unit's leftover processes are reached through their process group, and
 * its files (PID file, environment files, directories) are read or made at the moment the state machine needs them.
 */
public interface UnitOs {
    /**
     * Watches a process Vigil did not start itself (a forking daemon's real main process, reparented to Vigil as
     * subreaper, or a pid named by {@code MAINPID=}). The observer hears only its exit.
     *
     * @throws SpawnException if the process does not exist (any more)
     */
    RunningProcess adopt(int pid, ProcessObserver observer) throws SpawnException;

    /** The pid in a PID file, if the file exists and holds one. */
    OptionalInt readPidFile(Path file);

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

    /** Sends a signal to every process of the group; false if the group has no process left. */
    boolean signalGroup(int pgid, int signal);

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
         * @param fields the message's {@code KEY=VALUE} lines; the last value of a key wins
         * @return false if the unit's {@code NotifyAccess=} refused the sender
         */
        boolean receive(int senderPid, Map<String, String> fields);
    }
}
