package vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import vigil.control.Json;
import vigil.log.Timestamps;

/**
 * {@code vigil journalctl ...}, and {@code vigil} invoked as {@code journalctl}: journalctl's options for reading
 * a unit's log, mapped onto {@code vigil logs}.
 */
@Command(name = "journalctl", description = {"Take a journalctl command line: -u UNIT (repeatable; several are "
        + "merged by time), -f, -n LINES, --since, --until (journalctl's forms: yesterday, '2 hours ago', 2026-11-21 13:00), -o short|cat|json, "
        + "--no-pager, -p PRIORITY (a line with no stored <PRI> counts as info).",
        "Without -u: Vigil's own log. Invoked through a symlink named journalctl, vigil is this command."})
final class JournalctlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ARG", arity = "0..*", description = "journalctl's arguments")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> units = new ArrayList<>();
        boolean follow = false;
        Integer lines = null;
        Long since = null, until = null;
        String output = "short";
        boolean quiet = false;
        String priority = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String value = a.contains("=") && a.startsWith("--") ? a.substring(a.indexOf('=') + 1) : null;
                String option = value != null ? a.substring(0, a.indexOf('=')) : a;
                switch (option) {
                    case "-u", "--unit" -> units.add(value != null ? value : next(i++));
                    case "-f", "--follow" -> follow = true;
                    case "-n", "--lines" -> lines = Integer.parseInt(value != null ? value : next(i++));
                    case "-e", "--pager-end" -> lines = lines == null ? 1000 : lines;
                    case "-S", "--since" -> since = time(value != null ? value : next(i++));
                    case "-U", "--until" -> until = time(value != null ? value : next(i++));
                    case "-o", "--output" -> output = value != null ? value : next(i++);
                    case "-p", "--priority" -> priority = value != null ? value : next(i++);
                    case "-q", "--quiet" -> quiet = true;
                    case "--no-pager", "-b", "--boot", "--system", "-x", "--catalog", "--no-hostname",
                         "-a", "--all", "-l", "--full" -> { }
                    default -> {
                        if (a.startsWith("-n") && a.length() > 2) {
                            lines = Integer.parseInt(a.substring(2));
                        } else if (a.startsWith("-u") && a.length() > 2) {
                            units.add(a.substring(2));
                        } else {
                            return usage("unknown argument " + a);
                        }
                    }
                }
            }
        } catch (NumberFormatException e) {
            return usage("-n wants a number of lines: " + e.getMessage());
        } catch (IllegalArgumentException | CommandLine.TypeConversionException e) {
            return usage(e.getMessage());
        }
        if (!List.of("short", "cat", "json", "short-iso", "short-precise").contains(output)) {
            return usage("-o " + output + ": only short, cat and json are known");
        }
        if (lines != null && lines < 0) return usage("-n wants 0 or more lines");
        if (units.isEmpty()) units.add(vigil.log.LogLocation.OWN);
        if (follow && units.size() > 1) return usage("-f follows one unit at a time");
        if (units.size() > 1 && !output.equals("cat") && !output.equals("json")) {
            // Several units in journalctl's short form: one stream, merged by time, each line tagged with its unit.
            LogsCommand logs = logs(units, follow, lines, since, until, quiet);
            logs.priority = priority;
            return logs.call();
        }
        int exit = 0;
        for (String unit : units) {
            LogsCommand logs = logs(List.of(unit), follow, lines, since, until, quiet);
            logs.priority = priority;
            String format = output;
            logs.format = out -> switch (format) {
                case "cat" -> new Lines(out, unit, false);
                case "json" -> new Lines(out, unit, true);
                default -> out;
            };
            int e = logs.call();
            if (exit == 0) exit = e;
        }
        return exit;
    }

    private LogsCommand logs(List<String> units, boolean follow, Integer lines, Long since, Long until,
                             boolean quiet) {
        LogsCommand logs = new LogsCommand();
        logs.spec = spec;
        logs.names = units;
        logs.follow = follow;
        logs.lines = lines;
        logs.since = since;
        logs.until = until;
        // journalctl says so on stdout, where scripts that call it look for it (and -q silences it).
        logs.whenEmpty = where -> {
            if (!quiet) System.out.println("-- No entries --");
        };
        return logs;
    }

    private String next(int i) {
        if (i + 1 >= args.size()) throw new IllegalArgumentException(args.get(i) + " wants a value");
        return args.get(i + 1);
    }

    private static long time(String text) {
        return LogsCommand.SinceConverter.parse(text, java.time.Instant.now(), java.time.ZoneId.systemDefault());
    }

    private static int usage(String why) {
        System.err.println("journalctl: " + why);
        return 1;
    }

    /** journalctl's {@code -o cat} (the message alone) and {@code -o json} (one object a line). */
    static final class Lines extends FilterOutputStream {
        private final String unit;
        private final boolean json;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

        Lines(OutputStream out, String unit, boolean json) {
            super(out);
            this.unit = unit;
            this.json = json;
        }

        @Override
        public void write(int b) throws IOException {
            if (b != '\n') {
                line.write(b);
                return;
            }
            byte[] bytes = line.toByteArray();
            line.reset();
            long time = Timestamps.parse(bytes, 0, bytes.length);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int space = text.indexOf(' ');
            String message = time != Timestamps.NONE && space >= 0 ? text.substring(space + 1) : text;
            if (json) {
                Map<String, Object> entry = new LinkedHashMap<>();
                if (time != Timestamps.NONE) entry.put("__REALTIME_TIMESTAMP", Long.toString(time / 1000));
                entry.put("_SYSTEMD_UNIT", unit);
                entry.put("MESSAGE", message);
                message = Json.write(entry);
            }
            out.write((message + "\n").getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) write(b[i]);
        }
    }
}
