package vigil.cli;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.control.ControlPaths;
import vigil.log.LogFollower;
import vigil.log.LogLocation;
import vigil.log.LogLockedException;
import vigil.log.LogOptions;
import vigil.log.LogOwner;
import vigil.log.LogQuery;
import vigil.log.LogReader;
import vigil.log.LogWriter;
import vigil.log.LoggerScript;
import vigil.log.Tai64nDecoding;
import vigil.log.Timestamps;
import vigil.log.WallClock;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.OsException;

@Command(name = "logs",
        description = {"Print a service's log: its rotated files, oldest first, then current.",
                "Works on any svlogd-style log directory (svlogd, multilog, s6-log write the same layout)."})
final class LogsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", arity = "0..*", description = {"a service name (NAME.log for the output of the "
            + "logger NAME/log,", "vigil for Vigil's own messages), or the path of a log directory (anything with a /);",
            "several, or none for every service's and Vigil's, are merged by time, each line tagged with its NAME"})
    List<String> names = new ArrayList<>();

    /** The one log read now. */
    private String name;

    @Option(names = {"-f", "--follow"}, description = "then print what is written, through rotations, until killed")
    boolean follow;

    @Option(names = {"-n", "--lines"}, paramLabel = "LINES", description = "only the last LINES lines")
    Integer lines;

    @Option(names = "--since", paramLabel = "TIME", converter = SinceConverter.class,
            description = {"only lines stamped at TIME or later: 2026-11-21T13:00:00Z, 2026-11-21 13:00 (local),",
                    "2026-11-21, a TAI64N label @4000…, an age: 30s, 10m, 2h, 3d, '2 hours ago' (journalctl's),",
                    "now, today, yesterday"})
    Long since;

    @Option(names = "--until", paramLabel = "TIME", converter = SinceConverter.class,
            description = "only lines stamped at TIME or earlier (the forms of --since)")
    Long until;

    @Option(names = {"-p", "--priority"}, paramLabel = "PRIORITY",
            description = {"only lines of that syslog priority or more urgent (emerg alert crit err warning notice info",
                    "debug, or 0-7), or in a range FROM..TO; a line with no <PRI> stored (stdout) counts as info"})
    String priority;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = {"where log directories are (default: where the running daemon logs, else /var/log/vigil",
                    "as root and $XDG_STATE_HOME/vigil/log for others)"})
    Path logDir;

    @Option(names = "--rotate", description = "rotate current now (through the daemon if it holds the directory)")
    boolean rotate;

    @Option(names = "--control", paramLabel = "PATH",
            description = "the daemon's control socket, asked where NAME's log is (default: $VIGIL_CONTROL, else "
                    + "/run/vigil/control for root and $XDG_RUNTIME_DIR/vigil/control for others)")
    Path control;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** How the lines are written out: as they are, or in journalctl's -o forms (see JournalctlCommand). */
    UnaryOperator<OutputStream> format = UnaryOperator.identity();

    /**
     * What is said when nothing was printed (the log is empty, or nothing in it matched): by default a line on
     * stderr, so that stdout stays the log's lines alone; journalctl's {@code -- No entries --} on stdout for
     * {@code vigil journalctl}.
     */
    Consumer<String> whenEmpty = where -> System.err.println("vigil: logs: no entries in " + where);

    /** Whether the directory read is a logger's own (svlogd's...), whose TAI64N stamps are printed as dates. */
    private boolean loggerDirectory;

    @Override
    public Integer call() {
        if (lines != null && lines < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "LINES must be 0 or more");
        }
        if (names.size() != 1) return merged();
        name = names.getFirst();
        Path dir;
        try {
            dir = directory();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (LoggedElsewhere e) {
            return fail(e.getMessage());
        }
        if (rotate) {
            if (follow || lines != null || since != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--rotate takes no other option");
            }
            return rotate(dir);
        }
        CountingOutput printed = new CountingOutput(
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024));
        OutputStream out = printed;
        if (until != null) out = new UntilFilter(out, until);
        out = byPriority(out);
        out = format.apply(out);
        if (loggerDirectory) out = new Tai64nDecoding(out);
        LogQuery query = new LogQuery(lines == null ? -1 : lines, since == null ? Long.MIN_VALUE : since);
        try {
            if (follow) {
                follow(dir, query, out);
            } else {
                LogReader.print(dir, query, out);
                if (printed.count() == 0 && (lines == null || lines > 0)) whenEmpty.accept(name + "'s log " + dir);
            }
            return 0;
        } catch (NoSuchFileException e) {
            return fail("no log directory " + dir);
        } catch (IOException e) {
            // The reader went away (| head): what it wanted was printed.
            if ("Broken pipe".equals(e.getMessage())) return 0;
            if (permissionDenied(e)) {
                return fail(name + ": permission denied: " + e.getMessage() + ". A service's log is readable only by "
                        + "root, group " + LogOwner.READERS + " and the user the service runs as");
            }
            return fail(dir + ": " + e.getMessage());
        }
    }

    /**
     * Several logs (or every one: each service's the daemon knows, else each under the log root, and Vigil's own),
     * merged by time. Each log's selected lines are read whole first: the merge needs every log's next line at once.
     */
    private Integer merged() {
        if (follow || rotate) {
            throw new CommandLine.ParameterException(spec.commandLine(), "-f and --rotate take a single NAME");
        }
        boolean every = names.isEmpty();
        List<String> all = every ? everyName() : names;
        List<MergedLogs.Log> logs = new ArrayList<>();
        int exit = 0;
        LogQuery query = new LogQuery(lines == null ? -1 : lines, since == null ? Long.MIN_VALUE : since);
        for (String each : all) {
            name = each;
            loggerDirectory = false;
            try {
                Path dir = directory();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                OutputStream read = loggerDirectory ? new Tai64nDecoding(bytes) : bytes;
                LogReader.print(dir, query, read);
                read.flush();
                logs.add(new MergedLogs.Log(each, bytes.toByteArray()));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            } catch (LoggedElsewhere e) {
                if (!every) exit = fail(e.getMessage());
            } catch (NoSuchFileException e) {
                // Every service: one that has written nothing yet has no directory, and nothing to show.
                if (!every) exit = fail("no log directory " + e.getFile());
            } catch (IOException e) {
                // Every service, as a user: the others' logs are not his to read, and are left out.
                if (!every || !permissionDenied(e)) exit = fail(each + ": " + e.getMessage());
            }
        }
        CountingOutput printed = new CountingOutput(
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024));
        OutputStream out = until != null ? new UntilFilter(printed, until) : printed;
        out = byPriority(out);
        out = format.apply(out);
        try {
            MergedLogs.write(logs, lines == null ? -1 : lines, out);
        } catch (IOException e) {
            if ("Broken pipe".equals(e.getMessage())) return exit;
            return fail(e.getMessage());
        }
        if (printed.count() == 0 && (lines == null || lines > 0)) {
            whenEmpty.accept("the logs of " + String.join(", ", all));
        }
        return exit;
    }

    /** Every service's name the daemon knows (a logger's as NAME.log), else every log under the root; and Vigil's. */
    private List<String> everyName() {
        List<String> all = new ArrayList<>();
        try (ControlClient client = logDir == null ? connect() : null) {
            if (client != null) {
                Map<String, Object> reply = client.call(client.request("status"));
                if (reply.get("services") instanceof List<?> entries) {
                    for (Object entry : entries) {
                        if (entry instanceof Map<?, ?> m && m.get("name") instanceof String service) {
                            all.add(service.endsWith("/log") ? service.substring(0, service.length() - 4) + ".log"
                                    : service);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // No daemon to ask (or it went away): the directories under the root.
        }
        if (all.isEmpty()) {
            Path root = logDir != null ? logDir : LogLocation.defaultRoot();
            try (var dirs = Files.list(root)) {
                dirs.map(dir -> dir.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
                        .forEach(all::add);
            } catch (IOException e) {
                // No root yet: Vigil's own log only.
            }
        }
        all.add(LogLocation.OWN);
        return all;
    }

    private OutputStream byPriority(OutputStream out) {
        if (priority == null) return out;
        try {
            return PriorityFilter.parse(out, priority);
        } catch (CommandLine.TypeConversionException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static boolean permissionDenied(IOException e) {
        return e instanceof AccessDeniedException
                || (e instanceof OsException os && (os.errno() == Errno.EACCES || os.errno() == Errno.EPERM));
    }

    private static void follow(Path dir, LogQuery query, OutputStream out) throws IOException {
        try (LogFollower follower = LogFollower.start(dir, query, out); EventLoop loop = EventLoop.create()) {
            IOException[] failure = new IOException[1];
            loop.watch(follower.fd(), Epoll.EPOLLIN, events -> {
                try {
                    if (!follower.onReadable()) {
                        System.err.println("vigil: logs: " + dir + " was removed");
                        loop.stop();
                    }
                } catch (IOException e) {
                    failure[0] = e;
                    loop.stop();
                }
            });
            loop.run();
            if (failure[0] != null) throw failure[0];
        }
    }

    private Integer rotate(Path dir) {
        if (!Files.isDirectory(dir)) return fail("no log directory " + dir);
        try (LogWriter writer = LogWriter.open(dir, LogOptions.DEFAULT, WallClock.SYSTEM,
                event -> System.err.println("vigil: logs: " + name + ": " + event.describe()))) {
            writer.rotate();
            return 0;
        } catch (LogLockedException e) {
            return rotateThroughDaemon(dir);
        } catch (IOException e) {
            return fail(dir + ": " + e.getMessage());
        }
    }

    /**
     * NAME's log directory: a path as given; under --log-dir; else where the running daemon logs NAME (a
     * service directory's log-dir included); else under the default place.
     */
    private Path directory() {
        if (name.indexOf('/') >= 0) return Path.of(name);
        if (logDir != null) return LogLocation.directoryOf(logDir, name);
        // A name that could leave a log root is refused before anyone is asked.
        LogLocation.serviceDirectory(LogLocation.defaultRoot(), name);
        try (ControlClient client = connect()) {
            if (client != null) {
                String service = name.endsWith(".log") ? name.substring(0, name.length() - 4) + "/log" : name;
                Map<String, Object> status = client.request("status");
                status.put("names", List.of(service));
                Map<String, Object> reply = client.call(status);
                List<?> entries = Boolean.TRUE.equals(reply.get("ok")) && reply.get("services") instanceof List<?> l
                        ? l : null;
                if (entries != null && entries.size() == 1 && entries.getFirst() instanceof Map<?, ?> entry
                        && entry.get("log") instanceof String dir) {
                    return Path.of(dir);
                }
                if (entries != null && entries.size() == 1 && entries.getFirst() instanceof Map<?, ?> entry
                        && entry.get("directory") instanceof String serviceDir
                        && Files.exists(Path.of(serviceDir, "log", "run"))) {
                    return loggersDirectory(Path.of(serviceDir, "log"));
                }
                if (client.call(client.request("hello")).get("log_dir") instanceof String root) {
                    return LogLocation.directoryOf(Path.of(root), name);
                }
            }
        } catch (IOException e) {
            // No daemon to ask (or it went away): the default place.
        }
        return LogLocation.directoryOf(LogLocation.defaultRoot(), name);
    }

    /**
     * The directory of the logger {@code logDir/run} runs, for a service whose output goes to its own logger (svlogd,
     * s6-log, multilog), not to Vigil.
     *
     * @throws LoggedElsewhere if the script does not say plainly where it writes
     */
    private Path loggersDirectory(Path logDir) {
        Path run = logDir.resolve("run");
        try {
            var found = LoggerScript.directory(logDir);
            if (found.isPresent()) {
                loggerDirectory = true;
                return found.get();
            }
        } catch (IOException e) {
            throw new LoggedElsewhere(name + "'s logger is " + run + " (unreadable: " + e.getMessage()
                    + "); its output is wherever that writes");
        }
        throw new LoggedElsewhere(name + "'s logger is " + run + "; its output is wherever that writes");
    }

    /** NAME's output goes to a logger of its own, which says where it writes in a way this cannot read. */
    private static final class LoggedElsewhere extends RuntimeException {
        LoggedElsewhere(String message) {
            super(message);
        }
    }

    /** The daemon's control socket, or null if there is none to talk to. */
    private ControlClient connect() {
        Path given = control != null ? control : RootCommand.globalControl(spec);
        Path socket = given != null ? given : ControlPaths.socket(System.getenv()).orElse(null);
        if (socket == null) return null;
        try {
            return ControlClient.connect(socket);
        } catch (IOException e) {
            return null;
        }
    }

    /** A logger holds {@code dir}: if it is the daemon, it rotates it. */
    private int rotateThroughDaemon(Path dir) {
        String held = name + ": a logger holds " + dir;
        try (ControlClient client = connect()) {
            if (client == null) return fail(held + " and no Vigil daemon answers; for svlogd, send it ALRM "
                    + "(sv alarm SERVICE/log)");
            Map<String, Object> request = client.request("rotate");
            request.put("name", name.indexOf('/') >= 0 ? dir.getFileName().toString() : name);
            Map<String, Object> reply = client.call(request);
            if (!Boolean.TRUE.equals(reply.get("ok"))) return fail(held + "; the daemon says: " + reply.get("message"));
            Path rotated = Path.of(String.valueOf(reply.get("log")));
            if (!rotated.equals(dir.toAbsolutePath().normalize())) {
                return fail(held + ", but the daemon logs " + name + " to " + rotated + "; it rotated that one");
            }
            return 0;
        } catch (IOException e) {
            return fail(held + "; asking the daemon failed: " + e.getMessage());
        }
    }

    private static int fail(String message) {
        System.err.println("vigil: logs: " + message);
        return 1;
    }

    /** TIME for --since, as nanoseconds since the epoch. */
    static final class SinceConverter implements CommandLine.ITypeConverter<Long> {
        private static final Pattern AGE = Pattern.compile("-?(\\d+)([smhd])");
        /** journalctl's relative times: "2 hours ago", "30 min ago", "1 day ago". */
        private static final Pattern AGO = Pattern.compile(
                "(\\d+)\\s*(secs?|seconds?|mins?|minutes?|hours?|h|days?|d|weeks?)\\s+ago");

        @Override
        public Long convert(String text) {
            return parse(text, Instant.now(), ZoneId.systemDefault());
        }

        static long parse(String text, Instant now, ZoneId zone) {
            switch (text) {
                case "now" -> { return nanos(now); }
                case "today" -> { return nanos(LocalDate.ofInstant(now, zone).atStartOfDay(zone).toInstant()); }
                case "yesterday" -> {
                    return nanos(LocalDate.ofInstant(now, zone).minusDays(1).atStartOfDay(zone).toInstant());
                }
                case "tomorrow" -> {
                    return nanos(LocalDate.ofInstant(now, zone).plusDays(1).atStartOfDay(zone).toInstant());
                }
                default -> { }
            }
            Matcher relative = AGO.matcher(text.trim());
            if (relative.matches()) {
                long amount = Long.parseLong(relative.group(1));
                Duration d = switch (relative.group(2).replaceAll("s$", "")) {
                    case "sec", "second" -> Duration.ofSeconds(amount);
                    case "min", "minute" -> Duration.ofMinutes(amount);
                    case "hour", "h" -> Duration.ofHours(amount);
                    case "day", "d" -> Duration.ofDays(amount);
                    default -> Duration.ofDays(7 * amount);
                };
                return nanos(now.minus(d));
            }
            Matcher age = AGE.matcher(text);
            if (age.matches()) {
                long amount = Long.parseLong(age.group(1));
                Duration ago = switch (age.group(2)) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
                return nanos(now.minus(ago));
            }
            if (text.startsWith("@") && text.length() == 25) {
                byte[] label = text.getBytes(StandardCharsets.US_ASCII);
                long time = Timestamps.parse(label, 0, label.length);
                if (time != Timestamps.NONE) return time;
            }
            String iso = text.replace(' ', 'T');
            try {
                return nanos(OffsetDateTime.parse(iso).toInstant());
            } catch (DateTimeParseException e) {
                // Not with a zone: try the local forms.
            }
            try {
                return nanos(LocalDateTime.parse(iso).atZone(zone).toInstant());
            } catch (DateTimeParseException e) {
                // Not a date-time: try a date.
            }
            try {
                return nanos(LocalDate.parse(iso).atStartOfDay(zone).toInstant());
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a time: want 2026-11-21T13:00:00Z,"
                        + " 2026-11-21 13:00, 2026-11-21, @4000… (TAI64N) or an age such as 10m");
            }
        }

        private static long nanos(Instant instant) {
            return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
        }
    }
}
