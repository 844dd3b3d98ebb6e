package vigil.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import vigil.deps.Graph;
import vigil.deps.Node;
import vigil.unit.Diagnostic;
import vigil.unit.Host;
import vigil.unit.UnitResult;
import vigil.unit.UnitVerifier;

@Command(name = "verify",
        description = {"Load systemd unit files and report every problem as FILE:LINE: KEY=VALUE: REASON.",
                "A directory means every unit file in it; all the directories, and those of the files, form the "
                        + "search path for drop-ins, aliases and templates.",
                "Errors make a unit fail to load; warnings name what Vigil does not know or does not act on.",
                "Then the dependencies: names found nowhere in the search path, and ordering cycles among the units.",
                "Exits 1 if any unit has an error or there is an ordering cycle."})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = "unit files or directories of unit files")
    List<Path> paths;

    @Override
    public Integer call() throws IOException {
        UnitVerifier.Report report = UnitVerifier.verify(paths, Host.current());
        int cycles = print(report, System.out);
        return report.errors() + cycles > 0 ? 1 : 0;
    }

    /** Prints the report; returns how many ordering cycles there are, which are errors too. */
    static int print(UnitVerifier.Report report, PrintStream out) {
        report.notUnits().forEach(out::println);
        for (Diagnostic d : report.diagnostics()) out.println(d.format());
        for (UnitResult r : report.results()) {
            if (r instanceof UnitResult.Failed) out.println(r.requested() + ": failed to load");
        }
        out.printf("%d units: %d loaded, %d failed, %d masked, %d not found; %d errors, %d warnings%n",
                report.results().size(), report.count(UnitResult.Loaded.class),
                report.count(UnitResult.Failed.class), report.count(UnitResult.Masked.class),
                report.count(UnitResult.NotFound.class), report.errors(), report.warnings());
        Map<String, Integer> ignored = report.warningsByKey(Diagnostic.Kind.IGNORED_DIRECTIVE);
        if (!ignored.isEmpty()) {
            out.println("directives Vigil does not act on (times seen): " + String.join(", ",
                    ignored.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
        }
        Map<String, Integer> unknown = report.warningsByKey(Diagnostic.Kind.UNKNOWN_DIRECTIVE);
        if (!unknown.isEmpty()) {
            out.println("unknown directives (times seen): " + String.join(", ",
                    unknown.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
        }
        report.missing().forEach((name, referrers) -> out.println(name + ": no such unit in the search path; named by "
                + String.join(", ", referrers)));
        List<Node> nodes = new ArrayList<>();
        Map<String, Path> files = new HashMap<>();
        for (UnitResult r : report.results()) {
            if (r instanceof UnitResult.Loaded loaded) {
                nodes.add(Node.of(loaded.unit(), name -> report.aliases().getOrDefault(name, name)));
                files.put(loaded.unit().name().toString(), loaded.unit().file().fragment());
            }
        }
        List<List<String>> cycles = new Graph(nodes).orderingCycles();
        for (List<String> cycle : cycles) {
            out.println("ordering cycle: " + String.join(" after ", cycle) + " (in " + String.join(", ",
                    cycle.stream().distinct().map(u -> String.valueOf(files.get(u))).toList()) + ")");
        }
        return cycles.size();
    }
}
