package vigil.resources;

import java.util.List;
import vigil.model.ResourceLimits;

/**
 * A service directory's {@code resources} file: {@code KEY=VALUE} lines with the names and syntax of systemd's
 * resource-control directives ({@code MemoryMax=50M}, {@code TasksMax=64}...), later lines overriding earlier ones;
 * blank lines and {@code #} comments are skipped. Unlike a unit file's, a bad line is an error: a service directory
 * has no systemd to agree with, and a limit that silently does not apply is the worse surprise.
 */
public final class ResourcesFile {
    private ResourcesFile() {}

    /**
     * @param label names the file in messages: {@code /service/web/resources}
     * @throws BadResourceValue {@code LABEL:LINE: KEY=VALUE: why}
     */
    public static ResourceLimits parse(String text, String label, ResourceSettings.Machine machine)
            throws BadResourceValue {
        var settings = new ResourceSettings(machine);
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = label + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq <= 0) throw new BadResourceValue(where + "'" + line + "' is not KEY=VALUE");
            String key = line.substring(0, eq).strip();
            if (!ResourceSettings.DIRECTIVES.contains(key)) {
                throw new BadResourceValue(where + key + ": not a resource-control setting ("
                        + String.join(", ", ResourceSettings.DIRECTIVES.stream().sorted().toList()) + ")");
            }
            try {
                settings.set(key, line.substring(eq + 1));
            } catch (BadResourceValue e) {
                throw new BadResourceValue(where + line + ": " + e.getMessage());
            }
        }
        return settings.build();
    }
}
