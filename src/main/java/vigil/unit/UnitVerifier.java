package vigil.unit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads every unit named by a list of files and directories and collects the results, for {@code vigil verify}
 * and the corpus test. A directory contributes each unit file in it (not aliases, not masks); a file contributes
 * itself. All the directories, and the directory of each file, form one search path in the order given, so
 * drop-ins and aliases beside the files apply. A template is loaded as the instance {@code test_instance}, as
 * {@code systemd-analyze verify} does.
 */
public final class UnitVerifier {
    private UnitVerifier() {}

    /** The instance a template is checked as. */
    public static final String TEST_INSTANCE = "test_instance";

    /**
     * What loading every unit gave, in the order the units were named.
     *
     * @param missing the names the loaded units depend on that are nowhere in the search path, sorted, each with
     *                who names them ("app.service (Requires=)")
     * @param aliases for each name the loaded units depend on that is an alias, the unit it stands for
     */
    public record Report(List<UnitResult> results, List<String> notUnits, Map<String, List<String>> missing,
                         Map<String, String> aliases) {
        public Report {
            results = List.copyOf(results);
            notUnits = List.copyOf(notUnits);
            missing = Collections.unmodifiableMap(new TreeMap<>(missing));
            aliases = Map.copyOf(aliases);
        }

        /** Every distinct diagnostic, errors first: a drop-in shared by many units is reported once. */
        public List<Diagnostic> diagnostics() {
            Set<Diagnostic> seen = new LinkedHashSet<>();
            for (boolean errors : new boolean[] {true, false}) {
                for (UnitResult r : results) {
                    for (Diagnostic d : r.diagnostics()) if (d.isError() == errors) seen.add(d);
                }
            }
            return new ArrayList<>(seen);
        }

        public long errors() {
            return diagnostics().stream().filter(Diagnostic::isError).count() + notUnits.size();
        }

        public long warnings() {
            return diagnostics().stream().filter(d -> !d.isError()).count();
        }

        public long count(Class<? extends UnitResult> kind) {
            return results.stream().filter(kind::isInstance).count();
        }

        /** Warnings of one kind, counted per directive (or per section for unknown sections), by name. */
        public Map<String, Integer> warningsByKey(Diagnostic.Kind kind) {
            var counts = new TreeMap<String, Integer>();
            for (Diagnostic d : diagnostics()) {
                if (!d.isError() && d.kind() == kind) counts.merge(d.key(), 1, Integer::sum);
            }
            return counts;
        }
    }

    public static Report verify(List<Path> paths, Host host) throws IOException {
        var searchPath = new ArrayList<Path>();
        var requested = new LinkedHashMap<String, Optional<Path>>();
        var notUnits = new ArrayList<String>();
        for (Path p : paths) {
            Path abs = p.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                searchPath.add(abs);
            } else if (abs.getParent() != null) {
                searchPath.add(abs.getParent());
            }
        }
        UnitLoader loader = UnitLoader.scan(searchPath, host);
        for (Path p : paths) {
            Path abs = p.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                for (String name : loader.unitFilesIn(abs)) requested.putIfAbsent(name, Optional.empty());
            } else if (!Files.exists(abs)) {
                notUnits.add(p + ": no such file or directory");
            } else if (UnitName.parse(abs.getFileName().toString()).isEmpty()) {
                notUnits.add(p + ": not a unit file name (NAME.service, NAME.socket...)");
            } else {
                requested.putIfAbsent(abs.getFileName().toString(), Optional.of(abs));
            }
        }
        var results = new ArrayList<UnitResult>();
        for (String name : requested.keySet()) {
            UnitName n = UnitName.parse(name).orElseThrow();
            results.add(loader.load(n.isTemplate() ? n.withInstance(TEST_INSTANCE).toString() : name));
        }
        var missing = new TreeMap<String, List<String>>();
        var aliases = new HashMap<String, String>();
        for (UnitResult r : results) {
            if (!(r instanceof UnitResult.Loaded loaded)) continue;
            loaded.unit().unit().dependencies().forEach((kind, names) -> {
                for (String name : names) {
                    Optional<UnitName> found = loader.locate(name).name();
                    if (found.isEmpty()) {
                        missing.computeIfAbsent(name, n -> new ArrayList<>())
                                .add(loaded.unit().name() + " (" + kind.directive() + "= in "
                                        + loaded.unit().file().fragment() + ")");
                    } else if (!found.get().toString().equals(name)) {
                        aliases.put(name, found.get().toString());
                    }
                }
            });
        }
        return new Report(results, notUnits, missing, aliases);
    }
}
