package vigil.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vigil.control.ControlClient;

@Command(name = "list-units", description = {"List the units and targets of the daemon's dependency graph as "
        + "systemctl list-units does: UNIT LOAD ACTIVE SUB (JOB) DESCRIPTION.",
        "Without --all, only units that are not inactive or have a job; with --all, also the units that other "
        + "units name and that exist nowhere (not-found)."})
final class ListUnitsCommand extends ClientCommand {
    @Option(names = {"-a", "--all"}, description = "inactive units too")
    boolean all;

    @Option(names = "--failed", description = "only failed units (as --state=failed)")
    boolean failed;

    @Option(names = {"-t", "--type"}, split = ",", paramLabel = "TYPE", description = "only these types: service, "
            + "target")
    List<String> types = new ArrayList<>();

    @Option(names = "--state", split = ",", paramLabel = "STATE", description = "only units whose load, active or "
            + "sub state is one of these (loaded, not-found, active, inactive, failed, running, exited...)")
    List<String> states = new ArrayList<>();

    @Option(names = "--no-legend", description = "print neither the header nor the footer")
    boolean noLegend;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        List<String> wanted = new ArrayList<>(states);
        if (failed) wanted.add("failed");
        format(UnitEntries.fetch(client, List.of()), all, types, wanted, !noLegend,
                Colours.forOutput(System.getenv())).forEach(out::println);
        return OK;
    }

    /** The lines systemctl would print for these entries and filters. */
    static List<String> format(List<Map<String, Object>> units, boolean all, List<String> types, List<String> states,
                               boolean legend) {
        return format(units, all, types, states, legend, Colours.NONE);
    }

    /** As systemctl on a terminal, a failed or broken unit's line is red. */
    static List<String> format(List<Map<String, Object>> units, boolean all, List<String> types, List<String> states,
                               boolean legend, Colours colours) {
        List<Map<String, Object>> shown = new ArrayList<>();
        for (Map<String, Object> u : units) if (shows(u, all, types, states)) shown.add(u);
        // systemctl's unit_info_compare: by type, then by name.
        shown.sort(Comparator.comparing((Map<String, Object> u) -> type(UnitEntries.text(u, "name")))
                .thenComparing(u -> UnitEntries.text(u, "name")));
        boolean jobs = shown.stream().anyMatch(u -> u.get("job") != null);
        List<List<String>> rows = new ArrayList<>();
        if (legend) rows.add(row(jobs, "  UNIT", "LOAD", "ACTIVE", "SUB", "JOB", "DESCRIPTION"));
        for (Map<String, Object> u : shown) {
            String name = UnitEntries.text(u, "name");
            String description = UnitEntries.text(u, "description");
            rows.add(row(jobs, (bad(u) ? "\u25cf " : "  ") + name, UnitEntries.text(u, "load"),
                    UnitEntries.text(u, "active"), UnitEntries.text(u, "sub"), UnitEntries.text(u, "job"),
                    description.isEmpty() ? name : description));
        }
        List<String> out = new ArrayList<>(UnitEntries.table(rows, false));
        int first = legend ? 1 : 0;
        for (int i = 0; i < shown.size(); i++) if (bad(shown.get(i))) out.set(first + i, colours.failed(out.get(first + i)));
        if (!legend) return out;
        out.add("");
        out.add("LOAD   = Reflects whether the unit definition was properly loaded.");
        out.add("ACTIVE = The high-level unit activation state, i.e. generalization of SUB.");
        out.add("SUB    = The low-level unit activation state, values depend on unit type.");
        if (jobs) out.add("JOB    = Pending job for the unit.");
        out.add(shown.size() + " loaded units listed." + (all || !states.isEmpty() ? ""
                : " Pass --all to see loaded but inactive units, too."));
        return out;
    }

    private static boolean bad(Map<String, Object> u) {
        return !UnitEntries.text(u, "load").equals("loaded") || UnitEntries.text(u, "active").equals("failed");
    }

    private static List<String> row(boolean jobs, String unit, String load, String active, String sub, String job,
                                    String description) {
        return jobs ? List.of(unit, load, active, sub, job, description)
                : List.of(unit, load, active, sub, description);
    }

    /** As systemctl: without --all, what is inactive and has no job is left out; --state= names what to show. */
    private static boolean shows(Map<String, Object> u, boolean all, List<String> types, List<String> states) {
        if (!types.isEmpty() && !types.contains(type(UnitEntries.text(u, "name")))) return false;
        if (!states.isEmpty()) {
            return states.contains(UnitEntries.text(u, "load")) || states.contains(UnitEntries.text(u, "active"))
                    || states.contains(UnitEntries.text(u, "sub"));
        }
        return all || !UnitEntries.text(u, "active").equals("inactive") || u.get("job") != null;
    }

    private static String type(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
