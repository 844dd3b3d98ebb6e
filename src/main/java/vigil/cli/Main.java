package vigil.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command line: one binary, a subcommand per job. */
@Command(name = "vigil",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Vigil supervises services: it starts them, restarts them when they die, and stops them in order.",
        footer = {"", "Exit codes:",
                "  0  ok",
                "  1  failure: the reason is on stderr (permission denied, timeout, cannot start...)",
                "  2  usage error",
                "  3  not running: no daemon listens on the control socket, or (status, kill, signal) the service's "
                        + "process is not running",
                "  4  unknown service"})
public final class Main implements Runnable {
    /**
     * Every subcommand, made only when wanted: picocli reads a command's annotations when it is added, so adding
     * just the one being run keeps a client command's start-up short. Help lists them all.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("daemon", DaemonCommand::new);
        COMMANDS.put("status", StatusCommand::new);
        COMMANDS.put("start", ActionCommands.Start::new);
        COMMANDS.put("stop", ActionCommands.Stop::new);
        COMMANDS.put("restart", ActionCommands.Restart::new);
        COMMANDS.put("once", ActionCommands.Once::new);
        COMMANDS.put("kill", ActionCommands.Kill::new);
        COMMANDS.put("signal", ActionCommands.Signal::new);
        COMMANDS.put("pause", ActionCommands.Pause::new);
        COMMANDS.put("cont", ActionCommands.Cont::new);
        COMMANDS.put("wait", WaitCommand::new);
        COMMANDS.put("add", ManageCommands.Add::new);
        COMMANDS.put("remove", ManageCommands.Remove::new);
        COMMANDS.put("rescan", ManageCommands.Rescan::new);
        COMMANDS.put("shutdown", ManageCommands.Shutdown::new);
        COMMANDS.put("events", EventsCommand::new);
        COMMANDS.put("demo", DemoCommand::new);
        COMMANDS.put("version", VersionCommand::new);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The command line for these arguments: with only their subcommand, or all of them if it is not clear. */
    static CommandLine commandLine(String[] args) {
        CommandLine line = new CommandLine(new Main());
        String first = args.length > 0 && !args[0].startsWith("-") ? args[0] : null;
        if (first != null && COMMANDS.containsKey(first)) {
            line.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, command) -> line.addSubcommand(name, command.get()));
        }
        return line;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"vigil " + version()};
        }
    }
}
