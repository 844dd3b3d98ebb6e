package vigil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command line: one binary, a subcommand per job. */
@Command(name = "vigil",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Vigil supervises services: it starts them, restarts them when they die, and stops them in order.",
        subcommands = {DaemonCommand.class, DemoCommand.class, LogsCommand.class, VerifyCommand.class,
                CatCommand.class, VersionCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failure, 2 usage error."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
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
