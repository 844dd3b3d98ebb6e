package vigil.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command line as picocli sees it: every subcommand, the help, the exit codes. */
@Command(name = "vigil",
        mixinStandardHelpOptions = true,
        versionProvider = RootCommand.Version.class,
        description = "Vigil supervises services: it starts them, restarts them when they die, and stops them in "
                + "order.",
        footer = {"", "Exit codes:",
                "  0  ok",
                "  1  failure: the reason is on stderr (permission denied, timeout, cannot start...)",
                "  2  usage error",
                "  3  not running: no daemon listens on the control socket, or (status, kill, signal) the service's "
                        + "process is not running",
                "  4  unknown service"})
final class RootCommand implements Runnable {
    /** Every subcommand's name, in the order help lists them. */
    private static final List<String> COMMANDS = List.of("daemon", "init", "run", "status", "start", "stop", "restart",
            "try-restart",
            "once", "kill", "signal", "pause", "cont", "reload", "isolate", "reset-failed", "wait", "add", "remove",
            "rescan",
            "daemon-reload", "daemon-reexec", "shutdown", "events", "logs", "verify", "cat", "demo", "version",
            "list-units", "list-dependencies", "list-jobs", "list-sockets", "show", "is-active", "is-failed",
            "is-enabled", "enable", "disable", "mask", "unmask", "list-unit-files", "systemctl", "journalctl",
            "help");

    /** A new command object; a switch rather than method references, whose first use costs start-up time. */
    private static Object command(String name) {
        return switch (name) {
            case "daemon" -> new DaemonCommand();
            case "init" -> new InitCommand();
            case "run" -> new RunCommand();
            case "status" -> new StatusCommand();
            case "start" -> new ActionCommands.Start();
            case "stop" -> new ActionCommands.Stop();
            case "restart" -> new ActionCommands.Restart();
            case "try-restart" -> new ActionCommands.TryRestart();
            case "once" -> new ActionCommands.Once();
            case "kill" -> new ActionCommands.Kill();
            case "signal" -> new ActionCommands.Signal();
            case "pause" -> new ActionCommands.Pause();
            case "cont" -> new ActionCommands.Cont();
            case "reload" -> new ActionCommands.Reload();
            case "isolate" -> new ActionCommands.Isolate();
            case "reset-failed" -> new ActionCommands.ResetFailed();
            case "daemon-reload" -> new ManageCommands.DaemonReload();
            case "daemon-reexec" -> new ManageCommands.DaemonReexec();
            case "wait" -> new WaitCommand();
            case "add" -> new ManageCommands.Add();
            case "remove" -> new ManageCommands.Remove();
            case "rescan" -> new ManageCommands.Rescan();
            case "list-sockets" -> new ListSocketsCommand();
            case "shutdown" -> new ManageCommands.Shutdown();
            case "events" -> new EventsCommand();
            case "logs" -> new LogsCommand();
            case "verify" -> new VerifyCommand();
            case "cat" -> new CatCommand();
            case "demo" -> new DemoCommand();
            case "version" -> new VersionCommand();
            case "list-units" -> new ListUnitsCommand();
            case "list-dependencies" -> new ListDependenciesCommand();
            case "list-jobs" -> new ListJobsCommand();
            case "show" -> new ShowCommand();
            case "is-active" -> new IsActiveCommand();
            case "is-failed" -> new IsFailedCommand();
            case "is-enabled" -> new IsEnabledCommand();
            case "enable" -> new EnableCommand();
            case "disable" -> new DisableCommand();
            case "mask" -> new MaskCommands.Mask();
            case "unmask" -> new MaskCommands.Unmask();
            case "list-unit-files" -> new ListUnitFilesCommand();
            case "systemctl" -> new SystemctlCommand();
            case "journalctl" -> new JournalctlCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no command " + name);
        };
    }

    /** Every subcommand's name. */
    static List<String> commandNames() {
        return COMMANDS;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The control socket, given before the subcommand ({@code vigil --control PATH status}); a subcommand's own
     * {@code --control} wins. Not an inherited option: the daemon's and init's --control (where to listen) are
     * options of their own.
     */
    @CommandLine.Option(names = "--control", paramLabel = "PATH",
            description = "the daemon's control socket, for every command that talks to it (default: "
                    + "$VIGIL_CONTROL, else /run/vigil/control for root and $XDG_RUNTIME_DIR/vigil/control for "
                    + "others)")
    java.nio.file.Path control;

    /** The global options, each with whether it takes a value: what comes before the subcommand's name. */
    private static final java.util.Map<String, Boolean> GLOBAL_OPTIONS = java.util.Map.of("--control", true);

    /** Parses and runs the arguments; returns the exit code. */
    static int execute(String[] args) {
        return commandLine(args).execute(args);
    }

    /**
     * The command line for these arguments: with only their subcommand, or all of them if it is not clear, since
     * picocli reads a command's annotations when it is added.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine line = new CommandLine(new RootCommand());
        String first = subcommand(args);
        // help names other commands: it needs them all, as does a line whose subcommand is unclear.
        if (first != null && COMMANDS.contains(first) && !first.equals("help")) {
            line.addSubcommand(first, command(first));
        } else {
            for (String name : COMMANDS) line.addSubcommand(name, command(name));
        }
        line.getSubcommands().values().forEach(RootCommand::addHelpOption);
        // The personalities parse systemctl's and journalctl's options themselves.
        for (String personality : List.of("systemctl", "journalctl")) {
            CommandLine sub = line.getSubcommands().get(personality);
            if (sub != null) sub.setUnmatchedOptionsArePositionalParams(true);
        }
        return line;
    }

    /** The subcommand's name: the first argument after the global options; null if there is none. */
    private static String subcommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) return a;
            if (GLOBAL_OPTIONS.getOrDefault(a, false)) {
                i++;
            } else if (!GLOBAL_OPTIONS.containsKey(a.contains("=") ? a.substring(0, a.indexOf('=')) : a)) {
                return null;
            }
        }
        return null;
    }

    /** -h and --help on every subcommand, asked for here rather than on each of forty classes. */
    private static void addHelpOption(CommandLine sub) {
        CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
        if (spec.userObject() instanceof CommandLine.HelpCommand || spec.findOption("--help") != null) return;
        var names = spec.findOption("-h") == null ? new String[] {"-h", "--help"} : new String[] {"--help"};
        spec.addOption(CommandLine.Model.OptionSpec.builder(names).usageHelp(true)
                .description("Show this help and exit.").build());
    }

    /** The control socket the command line named before the subcommand, if any. */
    static java.nio.file.Path globalControl(CommandLine.Model.CommandSpec spec) {
        return spec != null && spec.root().userObject() instanceof RootCommand root ? root.control : null;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"vigil " + Main.version()};
        }
    }
}
