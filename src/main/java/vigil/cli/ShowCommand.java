package vigil.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.control.ControlClient;
import vigil.deps.DependencyProperties;

@Command(name = "show", description = {"Print the units' properties as systemctl show does, one NAME=VALUE a line: "
        + "Id, Names, the dependencies (Requires=, Wants=, WantedBy=, RequiredBy=, ConsistsOf=, After=, Before=...), "
        + "Description, LoadState, ActiveState, SubState, FragmentPath, MainPID, Result, Job.",
        "Empty dependency lists and no Job are left out unless asked for with -p or --all."})
final class ShowCommand extends ClientCommand {
    @Option(names = {"-p", "--property"}, split = ",", paramLabel = "NAME",
            description = "only these properties (repeatable, or separated by commas)")
    List<String> properties = new ArrayList<>();

    @Option(names = {"-a", "--all"}, description = "empty properties too")
    boolean all;

    @Option(names = "--value", description = "print only the values")
    boolean value;

    @Parameters(paramLabel = "UNIT", arity = "1..*", description = "the units")
    List<String> names;

    @Override
    int run(ControlClient client) throws IOException, Failed {
        List<Map<String, Object>> units = UnitEntries.fetch(client, names);
        for (int i = 0; i < units.size(); i++) {
            if (i > 0) out.println();
            format(units.get(i), properties, all, value).forEach(out::println);
        }
        return OK;
    }

    /** The lines for one unit: every property in order, or only those asked for, in the order systemctl has. */
    static List<String> format(Map<String, Object> unit, List<String> only, boolean all, boolean valueOnly) {
        List<String> out = new ArrayList<>();
        properties(unit).forEach((name, v) -> {
            boolean asked = only.contains(name);
            if (!only.isEmpty() && !asked) return;
            if (v.isEmpty() && !asked && !all && (name.equals("Job") || DependencyProperties.names().contains(name))) {
                return;
            }
            out.add(valueOnly ? v : name + "=" + v);
        });
        return out;
    }

    /** Every property of the unit, by systemd's name. */
    static Map<String, String> properties(Map<String, Object> unit) {
        Map<String, String> p = new LinkedHashMap<>();
        String id = UnitEntries.text(unit, "name");
        p.put("Id", id);
        p.put("Names", id);
        for (String dep : DependencyProperties.names()) p.put(dep, String.join(" ", UnitEntries.dependencies(unit, dep)));
        p.put("Description", UnitEntries.text(unit, "description").isEmpty() ? id
                : UnitEntries.text(unit, "description"));
        p.put("LoadState", UnitEntries.text(unit, "load"));
        p.put("ActiveState", UnitEntries.text(unit, "active"));
        p.put("SubState", UnitEntries.text(unit, "sub"));
        p.put("FragmentPath", UnitEntries.text(unit, "file"));
        p.put("MainPID", UnitEntries.text(unit, "main_pid"));
        p.put("Result", UnitEntries.text(unit, "result"));
        p.put("Job", unit.get("job") == null ? "" : UnitEntries.text(unit, "job_id") + " "
                + UnitEntries.text(unit, "job"));
        return p;
    }
}
