package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.loop.EventLoop;
import vigil.model.UnitSpec;
import vigil.os.Epoll;
import vigil.os.Fds;
import vigil.os.NotifySocket;
import vigil.os.OsException;
import vigil.service.Clock;
import vigil.service.OutputLog;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.Processes;
import vigil.service.SpawnException;
import vigil.service.UnitListener;
import vigil.service.UnitOs;
import vigil.service.UnitService;
import vigil.unit.Accounts;
import vigil.unit.Diagnostic;
import vigil.unit.Host;
import vigil.unit.UnitLoader;
import vigil.unit.UnitMapper;
import vigil.unit.UnitName;
import vigil.unit.UnitResult;
import vigil.unit.UnitType;

/**
 * The systemd units Vigil runs: every {@code .service} file in the unit directories and every instance linked to
 * its template, loaded, mapped and started, each with a notify socket of its own, so a message needs no
 * pid-to-unit lookup and NotifyAccess=all is simply "whoever holds the socket's name".
 * {@link #reload} is {@code daemon-reload}: units whose files changed take their new spec for their next start,
 * new units start, vanished ones stop; unchanged ones are not touched.
 */
public final class UnitTable {
    private final EventLoop loop;
    private final Processes processes;
    private final UnitOs os;
    private final Clock clock;
    private final Reporter reporter;
    private final List<Path> directories;
    private final Path notifyDirectory;
    private final Host host = Host.current();
    private final Accounts accounts = Accounts.system();
    private final Map<String, String> environment = Map.copyOf(System.getenv());
    private final Map<String, Entry> units = new LinkedHashMap<>();
    private final NotifySocket.Buffers buffers = new NotifySocket.Buffers();
    private final Listener listener = new Listener();
    /** Hears every unit's state changes and removals after the table: the control socket's waiters. */
    private final UnitListener observer;
    private Runnable whenAllRemoved;

    /** One unit: its state machine, what it was made from, and its notify socket if it has one. */
    private static final class Entry {
        final UnitService service;
        String fingerprint;
        int notifyFd = -1;
        EventLoop.Registration notifyWatch;
        /** The unit's built-in log (journal, syslog and kmsg all mean it), or null if it could not be opened. */
        OutputLog log;
        boolean saidDropped;

        Entry(UnitService service, String fingerprint) {
            this.service = service;
            this.fingerprint = fingerprint;
        }
    }

    /**
     * @param notifyDirectory where the units' notify sockets go
     */
    UnitTable(EventLoop loop, Processes processes, UnitOs os, Clock clock, Reporter reporter,
              List<Path> directories, Path notifyDirectory, UnitListener observer) {
        this.observer = observer;
        this.loop = loop;
        this.processes = processes;
        this.os = os;
        this.clock = clock;
        this.reporter = reporter;
        this.directories = List.copyOf(directories);
        this.notifyDirectory = notifyDirectory;
    }

    /** The unit directories' {@code .service} files, or none if there are no unit directories. */
    public boolean isEmpty() {
        return directories.isEmpty();
    }

    public Collection<UnitService> units() {
        return units.values().stream().map(e -> e.service).toList();
    }

    public Optional<UnitService> unit(String name) {
        Entry e = units.get(name.contains(".") ? name : name + ".service");
        return e == null ? Optional.empty() : Optional.of(e.service);
    }

    /** Loads every unit and starts it; says what failed to load and why. */
    public void start() {
        reload();
    }

    /**
     * Reads the unit directories again: new units start, units whose files vanished stop and are forgotten, and
     * a changed unit takes its new spec, used from its next start on. Returns a one-line summary.
     */
    public String reload() {
        if (directories.isEmpty()) return "no unit directories";
        UnitLoader loader;
        try {
            loader = UnitLoader.scan(directories, host);
        } catch (IOException e) {
            reporter.say("cannot read the unit directories: " + e.getMessage());
            return "cannot read the unit directories: " + e.getMessage();
        }
        Set<String> seen = new LinkedHashSet<>();
        int added = 0, changed = 0, failed = 0;
        // Every service file, and every instance named by a link to its template (foo@bar.service).
        List<String> names = new ArrayList<>();
        for (Path dir : directories) names.addAll(loader.unitFilesIn(dir));
        for (String name : loader.names()) {
            if (UnitName.parse(name).filter(UnitName::isInstance).isPresent()) names.add(name);
        }
        for (String name : names) {
            Optional<UnitName> parsed = UnitName.parse(name);
            if (parsed.isEmpty() || parsed.get().type() != UnitType.SERVICE || parsed.get().isTemplate()) continue;
            if (!seen.add(name)) continue;
            switch (load(loader, name)) {
                case ADDED -> added++;
                case CHANGED -> changed++;
                case FAILED -> failed++;
                case UNCHANGED -> { }
            }
        }
        int removed = 0;
        for (String name : List.copyOf(units.keySet())) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed; stopping");
                units.get(name).service.exit();
                removed++;
            }
        }
        return added + " added, " + changed + " changed, " + removed + " removed, " + failed + " failed to load";
    }

    private enum Outcome { ADDED, CHANGED, UNCHANGED, FAILED }

    private Outcome load(UnitLoader loader, String name) {
        UnitResult result = loader.load(name);
        Entry existing = units.get(name);
        if (!(result instanceof UnitResult.Loaded loaded)) {
            for (Diagnostic d : result.diagnostics()) if (d.isError()) reporter.say(name, d.format());
            if (result instanceof UnitResult.Masked) reporter.say(name, "masked; not started");
            if (result instanceof UnitResult.NotFound nf) reporter.say(name, "not loaded: " + nf.reason());
            return existing == null ? Outcome.FAILED : Outcome.UNCHANGED;
        }
        String fingerprint = fingerprint(loaded);
        if (existing != null && existing.fingerprint.equals(fingerprint)) return Outcome.UNCHANGED;
        UnitMapper.Mapped mapped;
        try {
            mapped = UnitMapper.map(loaded.unit(), host, accounts, environment);
        } catch (UnitMapper.CannotRun e) {
            reporter.say(name, "cannot run: " + e.getMessage());
            return Outcome.FAILED;
        }
        if (existing == null) {
            for (Diagnostic d : loaded.diagnostics()) reporter.say(name, d.format());
        }
        mapped.notes().forEach(n -> reporter.say(name, n));
        if (existing != null) {
            existing.fingerprint = fingerprint;
            existing.service.respec(mapped.spec());
            reporter.say(name, "unit file changed; the new settings apply from its next start");
            return Outcome.CHANGED;
        }
        add(mapped.spec(), fingerprint);
        return Outcome.ADDED;
    }

    /**
     * The unit's files' contents, its EnvironmentFile= ones included (they are read when the unit is loaded):
     * what decides whether a daemon-reload changes it.
     */
    private static String fingerprint(UnitResult.Loaded loaded) {
        var text = new StringBuilder();
        List<Path> files = new ArrayList<>();
        files.add(loaded.unit().file().fragment());
        files.addAll(loaded.unit().file().dropIns());
        loaded.unit().service().ifPresent(s -> s.exec().environmentFiles().forEach(f -> files.add(Path.of(f.path()))));
        for (Path f : files) {
            try {
                text.append(f).append('\0').append(Files.readString(f)).append('\0');
            } catch (IOException e) {
                text.append(f).append("\0?\0");
            }
        }
        return text.toString();
    }

    private void add(UnitSpec spec, String fingerprint) {
        // Every unit gets its socket, even with NotifyAccess=none (whose processes are not told of it): a
        // daemon-reload may change that setting without the unit being made anew.
        Optional<Path> socket = Optional.empty();
        int fd = -1;
        Path path = notifyDirectory.resolve(spec.name());
        try {
            Files.createDirectories(notifyDirectory);
            fd = NotifySocket.open(path);
            socket = Optional.of(path);
        } catch (IOException e) {
            reporter.say(spec.name(), "no notify socket, so sd_notify messages are lost: " + e.getMessage());
        }
        OutputLog log = null;
        try {
            log = processes.openLog(spec.name(), Optional.empty());
        } catch (SpawnException e) {
            reporter.say(spec.name(), "no log: its output goes to Vigil's own stderr: " + e.getMessage());
        }
        UnitService service = UnitService.create(spec, processes, os, clock, listener, socket,
                log == null ? new Stdio.Inherit() : new Stdio.Log(log));
        Entry entry = new Entry(service, fingerprint);
        entry.log = log;
        units.put(spec.name(), entry);
        if (fd >= 0) {
            entry.notifyFd = fd;
            try {
                entry.notifyWatch = loop.watch(fd, Epoll.EPOLLIN, events -> readNotifications(entry));
            } catch (OsException e) {
                reporter.say(spec.name(), "cannot watch its notify socket: " + e.getMessage());
            }
        }
        service.start();
    }

    /** Where the unit's output is logged, if its log could be opened. */
    Optional<Path> logDirectory(UnitService unit) {
        Entry e = units.get(unit.name());
        return e != null && e.service == unit && e.log instanceof ServiceLogs.Capture c
                ? Optional.of(c.directory()) : Optional.empty();
    }

    private void readNotifications(Entry entry) {
        try {
            for (var d = NotifySocket.receive(entry.notifyFd, buffers); d.isPresent();
                 d = NotifySocket.receive(entry.notifyFd, buffers)) {
                if (d.get().truncated()) {
                    reporter.say(entry.service.name(), "notification from pid " + d.get().pid()
                            + " dropped: longer than " + NotifySocket.MAX_MESSAGE + " bytes");
                    continue;
                }
                Map<String, String> fields = parse(d.get().text());
                // A barrier's only effect, closing its fd, is done; it needs no NotifyAccess= (systemd-notify
                // sends it from its own pid after speaking for its parent).
                if (fields.isEmpty() || fields.keySet().equals(Set.of("BARRIER"))) continue;
                if (!entry.service.notify(d.get().pid(), fields) && !entry.saidDropped) {
                    entry.saidDropped = true;
                    reporter.say(entry.service.name(), "notification from pid " + d.get().pid()
                            + " dropped (NotifyAccess=" + entry.service.spec().notifyAccess().name()
                            .toLowerCase(java.util.Locale.ROOT) + "); further drops are not reported");
                }
            }
        } catch (OsException e) {
            reporter.say(entry.service.name(), "notify socket: " + e.getMessage());
        }
    }

    /** sd_notify's newline-separated KEY=VALUE lines; the last value of a key wins. */
    static Map<String, String> parse(String text) {
        var fields = new LinkedHashMap<String, String>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) fields.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return fields;
    }

    /** Stops every unit and forgets it; runs {@code done} once all are down. */
    public void shutdown(Runnable done) {
        whenAllRemoved = done;
        if (units.isEmpty()) {
            runWhenAllRemoved();
            return;
        }
        for (Entry e : List.copyOf(units.values())) e.service.exit();
    }

    private void runWhenAllRemoved() {
        Runnable done = whenAllRemoved;
        whenAllRemoved = null;
        if (done != null) done.run();
    }

    /** Reports each unit's lines and forgets a unit once it is down for good. */
    private final class Listener implements UnitListener {
        @Override
        public void stateChanged(UnitService unit) {
            observer.stateChanged(unit);
        }

        @Override
        public void event(UnitService unit, String message) {
            reporter.say(unit.name(), message);
            observer.event(unit, message);
        }

        @Override
        public void removed(UnitService unit) {
            Entry e = units.get(unit.name());
            if (e == null || e.service != unit) return;
            units.remove(unit.name());
            if (e.log != null) e.log.close();
            if (e.notifyWatch != null) e.notifyWatch.cancel();
            if (e.notifyFd >= 0) {
                Fds.close(e.notifyFd);
                try {
                    Files.deleteIfExists(notifyDirectory.resolve(unit.name()));
                } catch (IOException ignored) {
                    // A stale socket file is replaced when the unit comes back.
                }
            }
            observer.removed(unit);
            if (units.isEmpty()) runWhenAllRemoved();
        }
    }
}
