package vigil.unit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The typed {@code [Unit]} section: description, dependencies, conditions and the start limit. Defaults are
 * systemd's. See {@link UnitDirectives} for which of these Vigil acts on.
 *
 * @param dependencies   every dependency kind that was set, with the unit names in the order written (the
 *                       {@code .wants/} and {@code .requires/} directories already added)
 * @param startLimitInterval {@code StartLimitIntervalSec=}, 10s; 0 disables the limit
 * @param startLimitBurst    {@code StartLimitBurst=}, 5 starts per interval
 */
public record UnitSection(
        String description,
        List<String> documentation,
        Map<Dependency, List<String>> dependencies,
        List<String> requiresMountsFor,
        List<Condition> conditions,
        List<Condition> asserts,
        boolean defaultDependencies,
        boolean stopWhenUnneeded,
        boolean refuseManualStart,
        boolean refuseManualStop,
        boolean allowIsolate,
        boolean ignoreOnIsolate,
        TimeSpan startLimitInterval,
        int startLimitBurst,
        String onFailureJobMode,
        TimeSpan jobTimeout,
        String failureAction,
        String successAction,
        String collectMode,
        Optional<String> sourcePath) {

    public UnitSection {
        documentation = List.copyOf(documentation);
        var deps = new EnumMap<Dependency, List<String>>(Dependency.class);
        dependencies.forEach((k, v) -> deps.put(k, List.copyOf(v)));
        dependencies = Collections.unmodifiableMap(deps);
        requiresMountsFor = List.copyOf(requiresMountsFor);
        conditions = List.copyOf(conditions);
        asserts = List.copyOf(asserts);
    }

    /** The units named by one dependency kind, in order; empty if none. */
    public List<String> dependencies(Dependency kind) {
        return dependencies.getOrDefault(kind, List.of());
    }

    static final List<String> JOB_MODES = List.of("fail", "replace", "replace-irreversibly", "isolate", "flush",
            "ignore-dependencies", "ignore-requirements", "restart-dependencies");
    static final List<String> EMERGENCY_ACTIONS = List.of("none", "reboot", "reboot-force", "reboot-immediate",
            "poweroff", "poweroff-force", "poweroff-immediate", "exit", "exit-force", "soft-reboot",
            "soft-reboot-force", "kexec", "kexec-force", "halt", "halt-force", "halt-immediate");

    /** Collects [Unit] assignments in file order; later ones override or extend earlier ones. */
    static final class Builder {
        private String description = "";
        private final List<String> documentation = new ArrayList<>();
        private final Map<Dependency, List<String>> dependencies = new EnumMap<>(Dependency.class);
        private final List<String> mounts = new ArrayList<>();
        private final List<Condition> conditions = new ArrayList<>();
        private final List<Condition> asserts = new ArrayList<>();
        private boolean defaultDependencies = true;
        private boolean stopWhenUnneeded;
        private boolean refuseManualStart;
        private boolean refuseManualStop;
        private boolean allowIsolate;
        private boolean ignoreOnIsolate;
        private TimeSpan startLimitInterval = TimeSpan.ofSeconds(10);
        private int startLimitBurst = 5;
        private String onFailureJobMode = "replace";
        private TimeSpan jobTimeout = TimeSpan.INFINITY;
        private String failureAction = "none";
        private String successAction = "none";
        private String collectMode = "inactive";
        private Optional<String> sourcePath = Optional.empty();

        void set(String key, String value, Specifiers sp) throws InvalidValueException {
            boolean empty = value.isEmpty();
            Optional<Dependency> dependency = Dependency.forDirective(key);
            if (dependency.isPresent()) {
                // As in systemd, an empty dependency assignment changes nothing: dependencies cannot be reset.
                for (String word : Words.splitPlain(value)) {
                    String name = sp.expand(word);
                    Values.unitName(name);
                    dependencies.computeIfAbsent(dependency.get(), d -> new ArrayList<>()).add(name);
                }
                return;
            }
            if (key.startsWith("Condition") || key.startsWith("Assert")) {
                boolean assertion = key.startsWith("Assert");
                List<Condition> list = assertion ? asserts : conditions;
                if (empty) {
                    list.clear();
                } else {
                    String check = key.substring(assertion ? "Assert".length() : "Condition".length());
                    list.add(Condition.parse(check, assertion, value, sp));
                }
                return;
            }
            switch (key) {
                case "Description" -> description = sp.expand(value);
                case "Documentation" -> {
                    if (empty) documentation.clear();
                    for (String word : Words.splitPlain(value)) documentation.add(sp.expand(word));
                }
                case "RequiresMountsFor", "WantsMountsFor" -> {
                    for (String word : Words.split(value)) mounts.add(Values.absolutePath(sp.expand(word)));
                }
                case "DefaultDependencies" -> defaultDependencies = empty || Values.bool(value);
                case "StopWhenUnneeded" -> stopWhenUnneeded = !empty && Values.bool(value);
                case "RefuseManualStart" -> refuseManualStart = !empty && Values.bool(value);
                case "RefuseManualStop" -> refuseManualStop = !empty && Values.bool(value);
                case "AllowIsolate" -> allowIsolate = !empty && Values.bool(value);
                case "IgnoreOnIsolate" -> ignoreOnIsolate = !empty && Values.bool(value);
                case "StartLimitIntervalSec", "StartLimitInterval" ->
                        startLimitInterval = empty ? TimeSpan.ofSeconds(10) : TimeSpan.parse(value);
                case "StartLimitBurst" -> startLimitBurst = empty ? 5 : Values.unsigned(value);
                case "OnFailureJobMode" ->
                        onFailureJobMode = empty ? "replace" : Values.oneOf(value, JOB_MODES, "job mode");
                case "JobTimeoutSec" -> jobTimeout = empty ? TimeSpan.INFINITY : fixZero(TimeSpan.parse(value));
                case "FailureAction" ->
                        failureAction = empty ? "none" : Values.oneOf(value, EMERGENCY_ACTIONS, "action");
                case "SuccessAction" ->
                        successAction = empty ? "none" : Values.oneOf(value, EMERGENCY_ACTIONS, "action");
                case "CollectMode" -> collectMode = empty ? "inactive"
                        : Values.oneOf(value, List.of("inactive", "inactive-or-failed"), "collect mode");
                case "SourcePath" -> sourcePath = empty ? Optional.empty()
                        : Optional.of(Values.absolutePath(sp.expand(value)));
                default -> throw new IllegalArgumentException("[Unit] " + key + " is not a typed directive");
            }
        }

        /** Adds a dependency found in a {@code .wants/} or {@code .requires/} directory. */
        void addDependency(Dependency kind, String name) {
            dependencies.computeIfAbsent(kind, d -> new ArrayList<>()).add(name);
        }

        UnitSection build() {
            return new UnitSection(description, documentation, dependencies, mounts, conditions, asserts,
                    defaultDependencies, stopWhenUnneeded, refuseManualStart, refuseManualStop, allowIsolate,
                    ignoreOnIsolate, startLimitInterval, startLimitBurst, onFailureJobMode, jobTimeout,
                    failureAction, successAction, collectMode, sourcePath);
        }
    }

    /** systemd's {@code parse_sec_fix_0}: for timeouts, 0 means "no timeout". */
    static TimeSpan fixZero(TimeSpan t) {
        return t.micros() == 0 ? TimeSpan.INFINITY : t;
    }
}
