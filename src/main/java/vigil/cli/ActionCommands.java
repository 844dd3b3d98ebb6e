package vigil.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import vigil.control.ControlClient;
import vigil.os.Signals;

/**
 * The commands that act on services by name: start, stop, restart, once, kill, signal, pause, cont, and for units
 * reload and reset-failed.
 */
final class ActionCommands {
    private ActionCommands() {}

    /**
     * Sends the request named as the command ({@code start}, {@code reset-failed}...) for each NAME in turn; the
     * first failure's exit code wins, the rest still run.
     */
    abstract static class Action extends ClientCommand {
        @Spec
        CommandSpec spec;

        abstract List<String> names();

        void addFields(Map<String, Object> request) {}

        @Override
        int run(ControlClient client) throws IOException {
            int exit = OK;
            for (String name : names()) {
                Map<String, Object> request = client.request(spec.name());
                request.put("name", name);
                addFields(request);
                try {
                    Map<String, Object> reply = expectOk(client, request);
                    report(reply);
                } catch (Failed f) {
                    err.println("vigil: " + f.getMessage());
                    if (exit == OK) exit = f.exitCode;
                }
            }
            return exit;
        }

        void report(Map<String, Object> reply) {}
    }

    /** An action whose only parameters are the services' names. */
    abstract static class NamedAction extends Action {
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "the services")
        List<String> names;

        @Override
        List<String> names() {
            return names;
        }
    }

    /** An action that by default waits until it has taken effect, and says where the service ended up. */
    abstract static class WaitingAction extends NamedAction {
        @Option(names = {"--no-wait", "--no-block"}, description = "return once the daemon has the order, without "
                + "waiting; for units, say which jobs it queued")
        boolean noWait;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
                description = "how long to wait (default: ${DEFAULT-VALUE})")
        double timeout;

        @Override
        void addFields(Map<String, Object> request) {
            request.put("wait", !noWait);
            request.put("timeout", timeout);
        }

        @Override
        void report(Map<String, Object> reply) {
            if (noWait) JobsText.lines(reply).forEach(out::println);
            else JobsText.report(reply, out);
        }
    }

    @Command(name = "start", description = "Want the services up and start them; wait until they are up and ready.")
    static final class Start extends WaitingAction {
    }

    @Command(name = "stop", description = "Want the services down and stop them; wait until they are down.")
    static final class Stop extends WaitingAction {
        @Option(names = "--force", description = "a service already stopping (or being removed) is killed whole "
                + "at once (SIGKILL to its cgroup), without waiting out the rest of its stop timeout")
        boolean force;

        @Override
        void addFields(Map<String, Object> request) {
            super.addFields(request);
            if (force) request.put("force", true);
        }
    }

    @Command(name = "restart", description = "Stop the services and start them again at once; wait until they are up.")
    static final class Restart extends WaitingAction {
    }

    @Command(name = "try-restart", description = "Restart the services that are running; leave the others down.")
    static final class TryRestart extends WaitingAction {
    }

    @Command(name = "once",
            description = "Start the services if they are down, but do not restart them when they exit.")
    static final class Once extends WaitingAction {
    }

    @Command(name = "kill", description = "Send KILL to the services' processes (they restart if wanted up).")
    static final class Kill extends NamedAction {
        @Option(names = "--kill-whom", paramLabel = "WHOM", defaultValue = "all",
                description = "main, control or all: every process of the service (the default)")
        String whom;

        @Override
        void addFields(Map<String, Object> request) {
            request.put("whom", whom);
        }
    }

    @Command(name = "signal", description = "Send a signal (HUP, USR1, 10...) to the services' processes.")
    static final class Signal extends Action {
        @Parameters(index = "0", paramLabel = "SIGNAL", description = "a signal name or number")
        String signal;

        @Parameters(index = "1..*", paramLabel = "NAME", arity = "1..*", description = "the services")
        List<String> signalled;

        @Option(names = "--kill-whom", paramLabel = "WHOM", defaultValue = "all",
                description = "main, control or all: every process of the service (the default)")
        String whom;

        @Override
        void addFields(Map<String, Object> request) {
            request.put("signal", signal);
            request.put("whom", whom);
        }

        @Override
        List<String> names() {
            if (Signals.parse(signal).isEmpty()) {
                throw new ParameterException(spec.commandLine(), "unknown signal " + signal
                        + ": give a name like HUP or USR1, or a number");
            }
            return signalled;
        }

    }

    @Command(name = "pause", description = "Send STOP to the services' processes and mark them paused.")
    static final class Pause extends NamedAction {
    }

    @Command(name = "cont", description = "Send CONT to the services' processes and clear the paused mark.")
    static final class Cont extends NamedAction {
    }

    @Command(name = "reload", description = "Reload the units: run their ExecReload=, or send a notify-reload unit "
            + "its reload signal.")
    static final class Reload extends NamedAction {
    }

    @Command(name = "isolate", description = "Start the target (it must say AllowIsolate=yes) with what it pulls in, "
            + "and stop every other unit but those with IgnoreOnIsolate=yes.")
    static final class Isolate extends Action {
        @Parameters(paramLabel = "TARGET", arity = "1", description = "the target (.target may be left out)")
        String target;

        @Override
        List<String> names() {
            return List.of(target);
        }
    }

    @Command(name = "reset-failed", description = "Make failed units inactive and forget their start limit.")
    static final class ResetFailed extends NamedAction {
    }
}
