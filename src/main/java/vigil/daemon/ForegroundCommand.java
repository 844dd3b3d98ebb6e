package vigil.daemon;

import java.util.List;
import vigil.model.Command;
import vigil.os.Children;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Signals;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.RunningProcess;
import vigil.service.SpawnException;

/**
 * The one command of {@code vigil run --services DIR -- CMD}, run beside the service tree as tini runs its one: in a
 * session (and process group) of its own, with the daemon's stdio (the container's console); the signals a container
 * runtime or a terminal sends go on to its whole group; when it ends, the daemon stops the tree in order and exits
 * with its exit code ({@link CriticalServices#commandEnded}).
 */
final class ForegroundCommand implements ProcessObserver {
    /** The signals passed on, as {@code vigil run} alone passes them: QUIT is HotSpot's, CHLD the daemon's. */
    static final List<Integer> FORWARDED = List.of(Signals.SIGHUP, Signals.SIGINT, Signals.SIGTERM,
            Signals.SIGUSR1, Signals.SIGUSR2, Signals.SIGWINCH, Signals.SIGCONT, Signals.SIGALRM, Signals.SIGPWR);
    /** What a shell reports for a command it cannot execute. */
    static final int CANNOT_EXECUTE = 127;

    private final Command command;
    private final LinuxProcesses processes;
    private final Reporter reporter;
    /** Hears the exit code and how it ended, once. */
    private final ExitListener ended;
    private RunningProcess process;
    private boolean execFailed;
    private boolean over;

    interface ExitListener {
        void ended(int code, String how);
    }

    ForegroundCommand(Command command, LinuxProcesses processes, Reporter reporter, ExitListener ended) {
        this.command = command;
        this.processes = processes;
        this.reporter = reporter;
        this.ended = ended;
    }

    String name() {
        return command.argv().getFirst();
    }

    /** Starts it; a command that cannot be started ends at once, as one that cannot be executed. */
    void start() {
        if (process != null || over) return;
        try {
            process = processes.start(ProcessRequest.of(command), this);
            reporter.say(name(), "started (pid " + process.pid() + ")");
        } catch (SpawnException e) {
            reporter.say(name(), "cannot start: " + e.getMessage());
            end(CANNOT_EXECUTE, "could not start");
        }
    }

    /** Whether it still runs: signals are then its, and not the daemon's. */
    boolean running() {
        return process != null && !over;
    }

    /** Passes {@code signal} on to its whole process group, as from a terminal. */
    void signal(int signal) {
        if (!running()) return;
        try {
            Children.signalGroup(process.pid(), signal);
        } catch (OsException e) {
            reporter.say(name(), "cannot pass " + Signals.name(signal) + " on: " + e.getMessage());
        }
    }

    /**
     * TERM (and CONT) to its group: the daemon is stopping for another reason than its end (a shutdown request).
     * Not waited for: as PID 1 the daemon's exit takes the rest of its PID namespace with it.
     */
    void stop() {
        if (!running()) return;
        reporter.say(name(), "sending TERM: the daemon is stopping");
        signal(Signals.SIGTERM);
        signal(Signals.SIGCONT);
    }

    @Override
    public void execFailed(int errno, String reason) {
        execFailed = true;
        reporter.say(name(), "cannot run it: " + reason);
    }

    @Override
    public void exited(ExitStatus status) {
        if (execFailed) {
            end(CANNOT_EXECUTE, "could not be executed");
            return;
        }
        end(CriticalServices.code(status), status.describe());
    }

    private void end(int code, String how) {
        if (over) return;
        over = true;
        ended.ended(code, how);
    }
}
