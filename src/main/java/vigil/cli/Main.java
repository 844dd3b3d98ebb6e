package vigil.cli;

/**
 * The {@code vigil} binary's entry point. picocli takes ~150 ms to start (its classes are too old for the JVM's
 * AOT cache to hold), so the most frequent command, status, and those whose start-up delays every service,
 * daemon and init, are parsed here when their arguments are plain; every other command line goes to picocli
 * ({@link RootCommand}). This class refers to no picocli type, so the fast path
 * loads none.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("status")) {
            StatusCommand status = StatusCommand.parsePlain(args);
            if (status != null) halt(status.call());
        }
        if (args.length > 0 && args[0].equals("init")) {
            InitCommand init = InitCommand.parsePlain(args);
            if (init != null) System.exit(init.call());
        }
        if (args.length > 0 && args[0].equals("daemon")) {
            DaemonCommand daemon = DaemonCommand.parsePlain(args);
            if (daemon != null) System.exit(daemon.call());
        }
        System.exit(RootCommand.execute(args));
    }

    /**
     * Ends the status command, which leaves nothing to clean up (no shutdown hooks, no files): flush, then halt.
     * {@link System#exit} first asks the system logger whether to log the exit, which loads the logging framework:
     * about 5 ms of CPU in a command that needs 40.
     */
    static void halt(int code) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }
}
