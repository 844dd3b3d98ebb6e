package vigil.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import vigil.control.ControlClient;

/** Commands that change what the daemon supervises: add, remove, rescan, daemon-reload, shutdown. */
final class ManageCommands {
    private ManageCommands() {}

    @Command(name = "add", description = {"Supervise a command with no service directory (a transient service): "
            + "restarted, logged and shown like any other, forgotten by remove or when the daemon exits.",
            "It runs as you; only root may name another --user. PATH is yours; the working directory is the "
            + "current one unless --cwd says otherwise."})
    static final class Add extends ClientCommand {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the new service's name")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments, "
                + "after --")
        List<String> command;

        @Option(names = "--restart", paramLabel = "WHEN", defaultValue = "always",
                description = "always, on-failure or no (default: ${DEFAULT-VALUE})")
        String restart;

        @Option(names = "--env", paramLabel = "K=V", description = "an environment variable (repeatable)")
        List<String> env = new ArrayList<>();

        @Option(names = "--cwd", paramLabel = "DIR", description = "the working directory")
        Path cwd;

        @Option(names = "--user", paramLabel = "USER", description = "run as this user (name, uid or uid:gid; root "
                + "only)")
        String user;

        @Override
        int run(ControlClient client) throws IOException, Failed {
            Map<String, String> environment = new LinkedHashMap<>();
            String path = System.getenv("PATH");
            if (path != null) environment.put("PATH", path);
            for (String kv : env) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new ParameterException(spec.commandLine(), "--env wants K=V, not " + kv);
                environment.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            Path dir = (cwd == null ? Path.of("") : cwd).toAbsolutePath().normalize();
            Map<String, Object> request = client.request("add");
            request.put("name", name);
            request.put("argv", command);
            request.put("program", program(command.getFirst(), environment.get("PATH"), dir));
            request.put("env", environment);
            request.put("cwd", dir.toString());
            request.put("restart", restart);
            if (user != null) request.put("user", user);
            Map<String, Object> reply = expectOk(client, request);
            @SuppressWarnings("unchecked")
            Map<String, Object> s = (Map<String, Object>) reply.get("service");
            out.println(s.get("name") + ": " + StatusText.state(s)
                    + (StatusText.number(s, "pid") != 0 ? " (pid " + s.get("pid") + ")" : ""));
            return OK;
        }

        /** A bare name is looked up in PATH here, where the user's PATH means what they think. */
        private static String program(String name, String path, Path cwd) {
            if (name.indexOf('/') >= 0 || path == null) return name;
            for (String dir : path.split(":")) {
                Path candidate = (dir.isEmpty() ? cwd : Path.of(dir)).resolve(name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate.toString();
            }
            return name;
        }
    }

    @Command(name = "remove", description = "Stop transient services and forget them; wait until they are gone.")
    static final class Remove extends ClientCommand {
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "the transient services")
        List<String> names;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
                description = "how long to wait (default: ${DEFAULT-VALUE})")
        double timeout;

        @Override
        int run(ControlClient client) throws IOException {
            int exit = OK;
            for (String name : names) {
                Map<String, Object> request = client.request("remove");
                request.put("name", name);
                request.put("wait", true);
                request.put("timeout", timeout);
                try {
                    expectOk(client, request);
                } catch (Failed f) {
                    err.println("vigil: " + f.getMessage());
                    if (exit == OK) exit = f.exitCode;
                }
            }
            return exit;
        }
    }

    @Command(name = "rescan", description = "Look at every scanned directory again (as HUP does).")
    static final class Rescan extends ClientCommand {
        @Override
        int run(ControlClient client) throws IOException, Failed {
            expectOk(client, client.request("rescan"));
            return OK;
        }
    }

    @Command(name = "daemon-reload", description = "Read the unit files again: new units start, removed ones "
            + "stop, changed ones take their new settings from their next start; unchanged ones are left alone.")
    static final class DaemonReload extends ClientCommand {
        @Override
        int run(ControlClient client) throws IOException, Failed {
            Map<String, Object> reply = expectOk(client, client.request("daemon-reload"));
            err.println("vigil: " + reply.get("summary"));
            return OK;
        }
    }

    @Command(name = "daemon-reexec", description = {"Hand every service to a fresh exec of the daemon (with the "
            + "jar as it is now): an upgrade with no service restarted and no log line lost; return once the new "
            + "daemon is up.", "Refused while systemd units or transient services are loaded."})
    static final class DaemonReexec extends ClientCommand {
        @Override
        int run(ControlClient client) throws IOException, Failed {
            Map<String, Object> reply = expectOk(client, client.request("daemon-reexec"));
            err.println("vigil: re-executed; the daemon (pid " + reply.get("pid") + ") supervises "
                    + reply.get("services") + " services");
            return OK;
        }
    }

    @Command(name = "shutdown", description = {"Stop every service in order (each logger after its service), then "
            + "the daemon; return once it has exited.",
            "Under vigil init the system then powers off, or reboots or halts as asked."})
    static final class Shutdown extends ClientCommand {
        @Spec
        CommandSpec spec;

        @Option(names = "--reboot", description = "under vigil init: reboot once everything has stopped")
        boolean reboot;

        @Option(names = "--halt", description = "under vigil init: halt once everything has stopped")
        boolean halt;

        @Override
        int run(ControlClient client) throws IOException, Failed {
            if (reboot && halt) throw new ParameterException(spec.commandLine(), "give --reboot or --halt, not both");
            Map<String, Object> request = client.request("shutdown");
            if (reboot || halt) request.put("then", reboot ? "reboot" : "halt");
            Map<String, Object> reply = expectOk(client, request);
            // The daemon keeps the connection until it exits.
            while (client.read().isPresent()) {
                continue;
            }
            err.println("vigil: the daemon stopped " + reply.get("services") + " services and exited");
            return OK;
        }
    }
}
