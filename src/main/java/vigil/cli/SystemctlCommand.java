package vigil.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vigil systemctl ...}, and {@code vigil} invoked as {@code systemctl} (the launcher turns that name into
 * this command): systemctl's verbs and flags, as scripts such as Debian's deb-systemd-invoke use them, turned into
 * the vigil commands that do the same, with systemctl's exit codes.
 */
@Command(name = "systemctl", description = {"Take a systemctl command line: start, stop, restart, try-restart, "
        + "reload, reload-or-restart, kill, status, show, cat, is-active, is-failed, is-enabled, enable, disable, "
        + "mask, unmask, daemon-reload, list-units, list-unit-files; --no-pager, --quiet, --no-block, --now, "
        + "--system, --user, --no-legend, --all, --type, --state, --failed, -p/--property, --value, -s/--signal.",
        "Invoked through a symlink named systemctl, vigil is this command."})
final class SystemctlCommand implements Callable<Integer> {
    /** systemctl's exit code for a verb on a unit that does not exist ("Unit x.service not found."). */
    static final int NO_SUCH_UNIT_FOR_JOB = 5;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ARG", arity = "0..*", description = "systemctl's arguments")
    List<String> args = new ArrayList<>();

    /** Flags that change nothing here: there is no pager, no password agent, one system manager. */
    private static final Set<String> IGNORED = Set.of("--no-pager", "--system", "--user", "--no-ask-password",
            "--full", "-l", "--force", "-f", "--plain", "--no-warn", "--runtime", "--global");

    private static final Set<String> JOB_VERBS = Set.of("start", "stop", "restart", "try-restart", "reload",
            "reload-or-restart", "force-reload", "condrestart", "try-reload-or-restart");

    @Override
    public Integer call() {
        Options o = new Options();
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                words.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (IGNORED.contains(a) || a.startsWith("--root=") || a.startsWith("--preset-mode=")
                    || a.startsWith("--machine")) {
                if (a.equals("--machine")) i++;
                continue;
            }
            switch (a) {
                case "-q", "--quiet" -> o.quiet = true;
                case "--no-block" -> o.noBlock = true;
                case "--now" -> o.now = true;
                case "--no-legend" -> o.noLegend = true;
                case "-a", "--all" -> o.all = true;
                case "--failed" -> o.failed = true;
                case "--value" -> o.value = true;
                case "--version" -> {
                    System.out.println("vigil " + Main.version() + " (systemctl personality)");
                    return 0;
                }
                case "-p", "--property", "-t", "--type", "--state", "-s", "--signal", "--kill-whom" -> {
                    if (i + 1 >= args.size()) return usage(a + " wants a value");
                    o.valued.add(longName(a) + "=" + args.get(++i));
                }
                default -> {
                    if (a.startsWith("--property=") || a.startsWith("--type=") || a.startsWith("--state=")
                            || a.startsWith("--signal=") || a.startsWith("--kill-whom=")) {
                        o.valued.add(a);
                    } else if (a.startsWith("-")) {
                        return usage("unknown option " + a);
                    } else {
                        words.add(a);
                    }
                }
            }
        }
        if (words.isEmpty()) words.add("list-units");
        String verb = words.getFirst();
        List<String> units = words.subList(1, words.size());
        List<String> line = new ArrayList<>();
        java.nio.file.Path control = RootCommand.globalControl(spec);
        if (control != null) line.addAll(List.of("--control", control.toString()));
        switch (verb) {
            case "start", "stop", "restart", "try-restart", "reload" -> {
                line.add(verb);
                if (o.noBlock) line.add("--no-wait");
            }
            case "condrestart" -> line.add("try-restart");
            case "reload-or-restart", "force-reload", "try-reload-or-restart" -> {
                return reloadOrRestart(line, units, o, !verb.equals("reload-or-restart"));
            }
            case "kill" -> {
                line.add("signal");
                line.add(o.value("--signal").orElse("TERM"));
                o.value("--kill-whom").ifPresent(w -> line.addAll(List.of("--kill-whom", w)));
            }
            case "status", "cat", "daemon-reload", "mask", "unmask" -> line.add(verb);
            case "is-active", "is-failed", "is-enabled" -> {
                line.add(verb);
                if (o.quiet) line.add("--quiet");
            }
            case "enable", "disable" -> {
                line.add(verb);
                if (o.now) line.add("--now");
            }
            case "show" -> {
                line.add("show");
                o.value("--property").ifPresent(p -> line.addAll(List.of("--property", p)));
                if (o.value) line.add("--value");
                if (o.all) line.add("--all");
            }
            case "list-units", "list-unit-files" -> {
                line.add(verb);
                if (o.noLegend) line.add("--no-legend");
                if (verb.equals("list-units")) {
                    if (o.all) line.add("--all");
                    if (o.failed) line.add("--failed");
                    o.value("--type").ifPresent(t -> line.addAll(List.of("--type", t)));
                    o.value("--state").ifPresent(t -> line.addAll(List.of("--state", t)));
                }
            }
            default -> {
                System.err.println("Unknown command verb '" + verb + "'.");
                return 1;
            }
        }
        if (verb.equals("list-units")) {
            // systemctl list-units takes patterns, which vigil's does not: the units it names are shown by status.
            if (!units.isEmpty()) return 0;
        } else {
            line.add("--");
            line.addAll(units);
        }
        int exit = run(line, o.quiet && !verb.startsWith("is-"));
        return JOB_VERBS.contains(verb) && exit == 4 ? NO_SUCH_UNIT_FOR_JOB : exit;
    }

    /** Reload what can be reloaded, restart the rest ({@code onlyRunning}: only those that run). */
    private int reloadOrRestart(List<String> prefix, List<String> units, Options o, boolean onlyRunning) {
        int exit = 0;
        for (String unit : units) {
            List<String> reload = new ArrayList<>(prefix);
            reload.addAll(List.of("reload", "--", unit));
            if (run(reload, true) == 0) continue;
            List<String> restart = new ArrayList<>(prefix);
            restart.add(onlyRunning ? "try-restart" : "restart");
            if (o.noBlock) restart.add("--no-wait");
            restart.addAll(List.of("--", unit));
            int e = run(restart, o.quiet);
            if (exit == 0 && e != 0) exit = e == 4 ? NO_SUCH_UNIT_FOR_JOB : e;
        }
        return exit;
    }

    /** Runs a vigil command line; with {@code quiet}, what it prints on stdout is dropped, as --quiet does. */
    private static int run(List<String> line, boolean quiet) {
        String[] argv = line.toArray(String[]::new);
        if (!quiet) return RootCommand.execute(argv);
        java.io.PrintStream out = System.out;
        try {
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            return RootCommand.execute(argv);
        } finally {
            System.setOut(out);
        }
    }

    private static String longName(String option) {
        return switch (option) {
            case "-p" -> "--property";
            case "-t" -> "--type";
            case "-s" -> "--signal";
            default -> option;
        };
    }

    private static int usage(String why) {
        System.err.println("systemctl: " + why);
        return 1;
    }

    /** The flags of one command line. */
    private static final class Options {
        boolean quiet, noBlock, now, noLegend, all, failed, value;
        final List<String> valued = new ArrayList<>();

        /** The values of a valued option, comma-joined as systemctl accepts them repeated. */
        java.util.Optional<String> value(String name) {
            List<String> values = valued.stream().filter(v -> v.startsWith(name + "="))
                    .map(v -> v.substring(name.length() + 1)).toList();
            return values.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join(",", values));
        }
    }
}
