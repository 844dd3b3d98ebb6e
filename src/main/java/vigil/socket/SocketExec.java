package vigil.socket;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.model.UnitSpec.UnitCommand;
import vigil.os.ExitStatus;
import vigil.os.Signals;
import vigil.service.OutputLog;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.Processes;
import vigil.service.RunningProcess;
import vigil.service.SpawnException;
import vigil.unit.Accounts;
import vigil.unit.Host;
import vigil.unit.SocketSection;
import vigil.unit.UnitMapper;

/**
 * Runs one {@code Exec*=} list of a socket unit as systemd's socket_spawn() does: one command after another, with
 * the unit's exec context mapped as a service's ({@link UnitMapper#socketCommands}), stdin on /dev/null and the
 * output in a built-in log under the socket unit's name (opened for the list, closed once it has ended, so a
 * re-exec has nothing of it to carry). A command that fails ends the list, unless its {@code -} prefix lets it; one
 * still running after {@code TimeoutSec=} is killed and counts as failed, so a hung {@code ExecStartPre=} cannot
 * hold the socket (and what waits for it) for ever.
 */
public final class SocketExec implements SocketUnits.Commands {
    private final EventLoop loop;
    private final Processes processes;
    private final Accounts accounts;
    private final Host host;
    private final Map<String, String> vigilEnvironment;
    private final BiConsumer<String, String> say;

    public SocketExec(EventLoop loop, Processes processes, Accounts accounts, Host host,
                      Map<String, String> vigilEnvironment, BiConsumer<String, String> say) {
        this.loop = loop;
        this.processes = processes;
        this.accounts = accounts;
        this.host = host;
        this.vigilEnvironment = Map.copyOf(vigilEnvironment);
        this.say = say;
    }

    @Override
    public SocketUnits.Run run(String unit, SocketSection section, SocketSection.ExecKind kind,
                               Consumer<Optional<String>> ended) {
        Sequence sequence = new Sequence(unit, kind, section.timeout().isInfinite() ? Optional.empty()
                : Optional.of(section.timeout().toDuration()), ended);
        // Always from the loop's next turn: the caller sets its state before it hears how the list ended.
        loop.execute(() -> sequence.begin(section));
        return sequence;
    }

    /** One list being run. */
    private final class Sequence implements SocketUnits.Run, ProcessObserver {
        private final String unit;
        private final SocketSection.ExecKind kind;
        private final Optional<Duration> timeout;
        private final Consumer<Optional<String>> ended;
        private List<UnitCommand> commands = List.of();
        private OutputLog log;
        private int index;
        private RunningProcess current;
        private EventLoop.Timer timer;
        private String execError;
        private boolean timedOut;
        private boolean stopped;
        private boolean over;

        Sequence(String unit, SocketSection.ExecKind kind, Optional<Duration> timeout,
                 Consumer<Optional<String>> ended) {
            this.unit = unit;
            this.kind = kind;
            this.timeout = timeout;
            this.ended = ended;
        }

        void begin(SocketSection section) {
            if (stopped) {
                finish(Optional.of(kind.directive() + "= cut short: the unit is stopping"));
                return;
            }
            try {
                commands = UnitMapper.socketCommands(section, host, accounts, vigilEnvironment)
                        .getOrDefault(kind, List.of());
                if (!commands.isEmpty()) log = processes.openLog(unit, Optional.empty());
            } catch (UnitMapper.CannotRun e) {
                finish(Optional.of(kind.directive() + "= cannot run: " + e.getMessage()));
                return;
            } catch (SpawnException e) {
                finish(Optional.of(kind.directive() + "= cannot run: " + e.getMessage()));
                return;
            }
            next();
        }

        private void next() {
            if (index == commands.size()) {
                finish(Optional.empty());
                return;
            }
            UnitCommand c = commands.get(index);
            Command base = c.command();
            Command command = new Command(base.executable(), c.argv().expand(base.environment()),
                    base.workingDirectory(), base.environment(), base.user(), base.options());
            ProcessRequest request = ProcessRequest.of(command).withStdin(new ProcessRequest.Stdio.Null())
                    .withStdout(new ProcessRequest.Stdio.Log(log)).withStderr(new ProcessRequest.Stdio.Log(log));
            execError = null;
            timedOut = false;
            try {
                current = processes.start(request, this);
            } catch (SpawnException e) {
                ended(c, "cannot start: " + e.getMessage());
                return;
            }
            timeout.ifPresent(t -> timer = loop.schedule(t, () -> {
                timedOut = true;
                current.signal(Signals.SIGKILL);
            }));
        }

        @Override
        public void execFailed(int errno, String reason) {
            execError = reason;
        }

        @Override
        public void exited(ExitStatus status) {
            if (timer != null) timer.cancel();
            timer = null;
            current = null;
            UnitCommand c = commands.get(index);
            if (timedOut) {
                ended(c, "timed out after " + timeout.orElseThrow().toSeconds() + "s (TimeoutSec=), killed");
            } else if (execError != null) {
                ended(c, "cannot run: " + execError);
            } else if (!status.exited() || status.code() != 0) {
                ended(c, status.describe());
            } else {
                ended(c, null);
            }
        }

        /** One command ended, well ({@code failure} null) or not. */
        private void ended(UnitCommand c, String failure) {
            index++;
            String what = kind.directive() + "=" + c.command().display();
            if (stopped) {
                finish(Optional.of(kind.directive() + "= cut short: the unit is stopping"));
            } else if (failure == null) {
                next();
            } else if (c.ignoreFailure()) {
                say.accept(unit, what + " failed: " + failure + " (ignored: '-')");
                next();
            } else {
                finish(Optional.of(what + " failed: " + failure));
            }
        }

        private void finish(Optional<String> failure) {
            if (over) return;
            over = true;
            if (log != null) log.close();
            ended.accept(failure);
        }

        /** The unit stops (or goes) meanwhile: the command running is asked to end, and the list goes no further. */
        @Override
        public void stop() {
            stopped = true;
            if (current != null) {
                current.signal(Signals.SIGTERM);
                current.signal(Signals.SIGCONT);
            }
        }

        @Override
        public boolean running() {
            return !over;
        }
    }
}
