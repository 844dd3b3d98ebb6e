package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How list-units, list-dependencies, show, list-jobs and start print what the daemon replies, as systemctl does. */
class UnitListingTest {
    /** An entry of the daemon's units reply. */
    private static Map<String, Object> unit(String name, String load, String active, String sub, String description,
                                            Map<String, List<String>> dependencies) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("load", load);
        m.put("active", active);
        m.put("sub", sub);
        m.put("result", active.equals("failed") ? "exit-code" : "success");
        m.put("main_pid", active.equals("active") ? 42L : 0L);
        m.put("description", description);
        m.put("file", load.equals("loaded") ? "/units/" + name : "");
        m.put("dependencies", new LinkedHashMap<>(dependencies));
        return m;
    }

    private final List<Map<String, Object>> units = List.of(
            unit("web.service", "loaded", "active", "running", "The web server",
                    Map.of("Requires", List.of("db.service"), "Wants", List.of("cache.service"),
                            "After", List.of("db.service"), "WantedBy", List.of("multi-user.target"))),
            unit("db.service", "loaded", "failed", "failed", "", Map.of("RequiredBy", List.of("web.service"))),
            unit("cache.service", "loaded", "inactive", "dead", "Cache", Map.of()),
            unit("multi-user.target", "loaded", "active", "active", "Multi-User System",
                    Map.of("Wants", List.of("web.service", "basic.target", "Admin.service"))),
            unit("basic.target", "loaded", "active", "active", "Basic System",
                    Map.of("Wants", List.of("multi-user.target"))),
            unit("Admin.service", "not-found", "inactive", "dead", "", Map.of()));

    @Test
    void listUnitsShowsWhatIsNotInactiveInSystemctlsColumnsSortedByTypeThenName() {
        assertEquals(List.of(
                "  UNIT              LOAD   ACTIVE SUB     DESCRIPTION",
                "\u25cf db.service        loaded failed failed  db.service",
                "  web.service       loaded active running The web server",
                "  basic.target      loaded active active  Basic System",
                "  multi-user.target loaded active active  Multi-User System",
                "",
                "LOAD   = Reflects whether the unit definition was properly loaded.",
                "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.",
                "SUB    = The low-level unit activation state, values depend on unit type.",
                "4 loaded units listed. Pass --all to see loaded but inactive units, too."),
                ListUnitsCommand.format(units, false, List.of(), List.of(), true));
    }

    @Test
    void listUnitsFiltersByTypeAndStateAndShowsTheJobColumnWhenThereAreJobs() {
        assertEquals(List.of("\u25cf Admin.service not-found inactive dead Admin.service",
                        "  cache.service loaded    inactive dead Cache"),
                ListUnitsCommand.format(units, false, List.of("service"), List.of("inactive"), false));
        assertEquals(List.of("\u25cf db.service loaded failed failed db.service"),
                ListUnitsCommand.format(units, false, List.of(), List.of("failed"), false));
        Map<String, Object> waiting = new LinkedHashMap<>(units.get(2));
        waiting.put("job", "start");
        assertEquals(List.of("  UNIT          LOAD   ACTIVE   SUB  JOB   DESCRIPTION",
                        "  cache.service loaded inactive dead start Cache"),
                ListUnitsCommand.format(List.of(waiting), false, List.of(), List.of(), true).subList(0, 2),
                "an inactive unit with a job is shown");
    }

    @Test
    void listDependenciesDrawsSystemctlsTreeFollowingOnlyTargetsUnlessAll() {
        List<String> forward = List.of("Requires", "Requisite", "Wants", "ConsistsOf", "BindsTo");
        assertEquals(List.of(
                "multi-user.target",
                "\u25cf \u251c\u2500Admin.service",
                "\u25cf \u251c\u2500web.service",
                "\u25cf \u2514\u2500basic.target",
                "      \u2514\u2500..."),
                ListDependenciesCommand.tree(units, "multi-user.target", forward, false, false),
                "non-targets first, by name ignoring case; basic.target wants multi-user.target, which is on the "
                        + "branch: ... one level below, as systemctl");
        assertEquals(List.of(
                "multi-user.target",
                "\u25cf \u251c\u2500Admin.service",
                "\u25cf \u251c\u2500web.service",
                "\u25cf \u2502 \u251c\u2500cache.service",
                "\u25cf \u2502 \u2514\u2500db.service",
                "\u25cf \u2514\u2500basic.target",
                "      \u2514\u2500..."),
                ListDependenciesCommand.tree(units, "multi-user.target", forward, true, false));
        assertEquals(List.of("db.service", "  web.service", "    multi-user.target"),
                ListDependenciesCommand.tree(units, "db.service", List.of("RequiredBy", "WantedBy"), true, true),
                "--reverse --all --plain: reverse dependencies, indented only");
    }

    @Test
    void showPrintsPropertiesLeavingOutEmptyDependenciesUnlessAsked() {
        assertEquals(List.of("Id=web.service", "Names=web.service", "Requires=db.service", "Wants=cache.service",
                        "WantedBy=multi-user.target", "After=db.service", "Description=The web server",
                        "LoadState=loaded", "ActiveState=active", "SubState=running",
                        "FragmentPath=/units/web.service", "MainPID=42", "Result=success"),
                ShowCommand.format(units.get(0), List.of(), false, false));
        assertEquals(List.of("Requires=", "RequiredBy=web.service", "ActiveState=failed"),
                ShowCommand.format(units.get(1), List.of("ActiveState", "RequiredBy", "Requires"), false, false),
                "in systemctl's order, empty ones when asked for");
        assertEquals(List.of("failed", "exit-code"),
                ShowCommand.format(units.get(1), List.of("Result", "ActiveState"), false, true));
    }

    @Test
    void listJobsAndTheJobsOfAStartAreLinesOfIdUnitTypeAndState() {
        List<Map<?, ?>> jobs = List.of(Map.of("id", 7L, "unit", "db.service", "type", "start", "state", "running"),
                Map.of("id", 12L, "unit", "web.service", "type", "start", "state", "waiting"));
        assertEquals(List.of("JOB UNIT        TYPE  STATE", "  7 db.service  start running",
                " 12 web.service start waiting", "", "2 jobs listed."), ListJobsCommand.format(jobs));
        assertEquals(List.of("No jobs running."), ListJobsCommand.format(List.of()));
        assertEquals("job 7 start db.service: done", JobsText.line(Map.of("id", 7L, "unit", "db.service",
                "type", "start", "state", "done", "result", "done")));
        assertEquals("job 12 start web.service: waiting", JobsText.line(jobs.get(1)));
    }
}
