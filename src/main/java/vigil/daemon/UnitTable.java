package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
import vigil.model.UnitSpec;
import vigil.service.SpawnException;
import vigil.service.Supervisor;
import vigil.service.Want;
import vigil.unit.Accounts;
import vigil.unit.Diagnostic;
import vigil.unit.Host;
import vigil.unit.UnitLoader;
import vigil.unit.UnitMapper;
import vigil.unit.UnitName;
import vigil.unit.UnitResult;
import vigil.unit.UnitType;

/**
 * The systemd units found in the unit directories: every {@code .service} file, and every instance linked to its
 * template, loaded and mapped to a {@link UnitSpec} that the daemon's one {@link Supervisor} runs beside the service
 * directories. {@link #reload} is {@code daemon-reload}: units whose files changed take their new spec for their
 * next start, new units start, vanished ones stop; unchanged ones are not touched.
 */
public final class UnitTable {
    private final Supervisor supervisor;
    private final Reporter reporter;
    private final List<Path> directories;
    private final BiPredicate<String, Path> giveWay;
    private final Host host = Host.current();
    private final Accounts accounts = Accounts.system();
    private final Map<String, String> environment = Map.copyOf(System.getenv());
    /** What each unit this table started was made from: what decides whether a daemon-reload changes it. */
    private final Map<String, String> fingerprints = new LinkedHashMap<>();
    /** Units whose file came back while the instance removed with the old file was still stopping. */
    private final Map<String, Waiting> waitingForName = new LinkedHashMap<>();

    /** A loaded unit that starts once its name is free. */
    private record Waiting(UnitSpec spec, String fingerprint) {}

    /**
     * @param giveWay asked with a unit's name and file when a service directory or transient service holds the
     *                name: true if it is another user's transient service, which gives the name up, so the unit
     *                waits for it
     */
    UnitTable(Supervisor supervisor, Reporter reporter, List<Path> directories,
              BiPredicate<String, Path> giveWay) {
        this.supervisor = supervisor;
        this.giveWay = giveWay;
        this.reporter = reporter;
        this.directories = List.copyOf(directories);
    }

    /** The unit directories' {@code .service} files, or none if there are no unit directories. */
    public boolean isEmpty() {
        return directories.isEmpty();
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
        for (String name : List.copyOf(waitingForName.keySet())) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed before the unit could start again");
                waitingForName.remove(name);
                removed++;
            }
        }
        for (String name : List.copyOf(fingerprints.keySet())) {
            if (!seen.contains(name)) {
                reporter.say(name, "unit file removed; stopping");
                fingerprints.remove(name);
                supervisor.remove(name);
                removed++;
            }
        }
        return added + " added, " + changed + " changed, " + removed + " removed, " + failed + " failed to load";
    }

    private enum Outcome { ADDED, CHANGED, UNCHANGED, FAILED }

    private Outcome load(UnitLoader loader, String name) {
        UnitResult result = loader.load(name);
        String existing = fingerprints.get(name);
        if (!(result instanceof UnitResult.Loaded loaded)) {
            waitingForName.remove(name);
            for (Diagnostic d : result.diagnostics()) if (d.isError()) reporter.say(name, d.format());
            if (result instanceof UnitResult.Masked) reporter.say(name, "masked; not started");
            if (result instanceof UnitResult.NotFound nf) reporter.say(name, "not loaded: " + nf.reason());
            return existing == null ? Outcome.FAILED : Outcome.UNCHANGED;
        }
        String fingerprint = fingerprint(loaded);
        Waiting waiting = waitingForName.get(name);
        if (fingerprint.equals(existing) || waiting != null && fingerprint.equals(waiting.fingerprint())) {
            return Outcome.UNCHANGED;
        }
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
            fingerprints.put(name, fingerprint);
            supervisor.unit(name).ifPresent(unit -> unit.respec(mapped.spec()));
            reporter.say(name, "unit file changed; the new settings apply from its next start");
            return Outcome.CHANGED;
        }
        boolean stopping = supervisor.unit(name).filter(old -> old.want() == Want.EXIT).isPresent();
        if (stopping || supervisor.get(name).isPresent() && giveWay.test(name, loaded.unit().file().fragment())) {
            waitingForName.put(name, new Waiting(mapped.spec(), fingerprint));
            reporter.say(name, stopping ? "starts once the instance removed before has stopped"
                    : "starts once the transient service that held its name has stopped");
            return waiting == null ? Outcome.ADDED : Outcome.CHANGED;
        }
        return add(mapped.spec(), fingerprint) ? Outcome.ADDED : Outcome.FAILED;
    }

    /**
     * A unit of this name is gone from the supervisor: a unit whose file came back while it was stopping starts
     * now. Not while the daemon itself stops.
     */
    public void nameFreed(String name) {
        Waiting waiting = waitingForName.remove(name);
        if (waiting != null) add(waiting.spec(), waiting.fingerprint());
    }

    private boolean add(UnitSpec spec, String fingerprint) {
        try {
            supervisor.add(spec);
        } catch (SpawnException e) {
            reporter.say(spec.name(), "cannot start: " + e.getMessage());
            return false;
        } catch (IllegalArgumentException nameTaken) {
            reporter.say(spec.name(), "ignored: " + nameTaken.getMessage());
            return false;
        }
        fingerprints.put(spec.name(), fingerprint);
        return true;
    }

    /**
     * The contents of the unit's file and drop-ins: what decides whether a daemon-reload changes it. Its
     * EnvironmentFile= files are not part of it: they are read again for every command the unit runs.
     */
    private static String fingerprint(UnitResult.Loaded loaded) {
        var text = new StringBuilder();
        List<Path> files = new ArrayList<>();
        files.add(loaded.unit().file().fragment());
        files.addAll(loaded.unit().file().dropIns());
        for (Path f : files) {
            try {
                text.append(f).append('\0').append(Files.readString(f)).append('\0');
            } catch (IOException e) {
                text.append(f).append("\0?\0");
            }
        }
        return text.toString();
    }
}
