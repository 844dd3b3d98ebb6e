package vigil.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.model.Command;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.UnitState.Result;

/**
 * Turns one of a unit's commands into the {@link ProcessRequest} that starts it: its environment, its arguments
 * expanded from that environment, and where its standard streams go. One per unit; the spec is passed at each call,
 * since a daemon-reload may change it between two commands.
 */
final class UnitRequests {
    private final UnitOs os;
    private final Optional<Path> notifySocket;
    private final Stdio output;

    /**
     * @param notifySocket the unit's {@code NOTIFY_SOCKET}, if it has one
     * @param output       where {@code StandardOutput=journal} (and syslog, kmsg) sends output
     */
    UnitRequests(UnitOs os, Optional<Path> notifySocket, Stdio output) {
        this.os = os;
        this.notifySocket = notifySocket;
        this.output = output;
    }

    /** Where {@code journal}, {@code syslog} and {@code kmsg} send the unit's processes' output. */
    Stdio output() {
        return output;
    }

    /**
     * What of the unit's current run goes into a command's environment.
     *
     * @param watchdog the watchdog interval now in force, for the main process's {@code WATCHDOG_USEC}
     * @param mainPid  the main process, for a control process's {@code MAINPID}; 0 if none
     * @param result   the run's result so far, for ExecStop= and ExecStopPost= ({@code SERVICE_RESULT})
     * @param mainExit how the main process ended, if it did, for the same ({@code EXIT_CODE}, {@code EXIT_STATUS})
     */
    record Run(Optional<Duration> watchdog, int mainPid, Result result, Optional<ExitStatus> mainExit) {}

    /**
     * What one command runs with. Its environment is compiled in systemd's order (systemd.exec(5), "Environment
     * Variables in Spawned Processes"), later sources winning: what Vigil sets for this run ({@code MAINPID},
     * {@code NOTIFY_SOCKET}...), the command's own (PATH, the user's and the directories' variables,
     * PassEnvironment=, Environment=), then each EnvironmentFile= read now; UnsetEnvironment= is the last step.
     *
     * @throws SpawnException if a required EnvironmentFile= cannot be read: the command cannot run
     */
    ProcessRequest request(UnitSpec spec, UnitCommand command, Phase phase, boolean isMain, Run run)
            throws SpawnException {
        Command base = command.command();
        Map<String, String> env = new HashMap<>();
        List<String> pidVariables = List.of();
        boolean notifies = spec.notifyAccess() != UnitSpec.NotifyAccess.NONE;
        if (notifies) notifySocket.ifPresent(socket -> env.put("NOTIFY_SOCKET", socket.toString()));
        if (isMain && run.watchdog().isPresent()) {
            env.put("WATCHDOG_USEC", Long.toString(run.watchdog().get().toNanos() / 1000));
            pidVariables = List.of("WATCHDOG_PID");
        }
        if (!isMain && run.mainPid() != 0) env.put("MAINPID", Integer.toString(run.mainPid()));
        if (phase == Phase.STOP || phase == Phase.STOP_POST) {
            env.put("SERVICE_RESULT", run.result().systemdName());
            if (run.mainExit().isPresent()) {
                ExitStatus mainExit = run.mainExit().get();
                env.put("EXIT_CODE", mainExit.exited() ? "exited" : mainExit.coreDumped() ? "dumped" : "killed");
                env.put("EXIT_STATUS", mainExit.exited() ? Integer.toString(mainExit.code())
                        : Signals.name(mainExit.signal()).substring(3));
            }
        }
        env.putAll(base.environment());
        readEnvironmentFiles(spec, env);
        for (String unset : spec.unsetEnvironment()) {
            int eq = unset.indexOf('=');
            if (eq < 0) env.remove(unset);
            else env.remove(unset.substring(0, eq), unset.substring(eq + 1));
        }
        List<String> argv = command.argv().expand(env);
        Command expanded = new Command(base.executable(), argv.isEmpty() ? base.argv() : argv,
                base.workingDirectory(), env, base.user(), base.options());
        ProcessRequest request = ProcessRequest.of(expanded).withStdin(stdio(spec.stdin()))
                .withStdout(stdio(spec.stdout()))
                .withStderr(stdio(spec.stderr()))
                .withPidVariables(pidVariables);
        // As systemd, only the main process gets the unit's sockets (its ExecStartPre= and others do not).
        return isMain ? request.withSocketsOf(spec.name()) : request;
    }

    /**
     * Adds each EnvironmentFile= to {@code env}, in order, read now rather than when the unit was loaded, so an
     * edited file takes effect at the next command without a daemon-reload. An optional file ({@code -}) that cannot
     * be read is skipped, as systemd skips it.
     */
    private void readEnvironmentFiles(UnitSpec spec, Map<String, String> env) throws SpawnException {
        for (UnitSpec.EnvironmentFile file : spec.environmentFiles()) {
            try {
                env.putAll(os.readEnvironmentFile(file.path()));
            } catch (SpawnException e) {
                if (!file.optional()) {
                    throw new SpawnException("EnvironmentFile=" + file.path() + ": " + e.getMessage(), e.errno());
                }
            }
        }
    }

    /** The journal and its kin are Vigil's own handling of the unit's output. */
    Stdio stdio(UnitSpec.Stdio asked) {
        return switch (asked) {
            case UnitSpec.Stdio.Null n -> new Stdio.Null();
            case UnitSpec.Stdio.Log l -> output;
            case UnitSpec.Stdio.File f -> new Stdio.File(f.path(), f.mode());
        };
    }
}
