package vigil.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.ExecOptions;
import vigil.unit.Capabilities;
import vigil.unit.InvalidValueException;
import vigil.unit.Values;

/**
 * A service directory's {@code sandbox} file: the exec settings of systemd.exec(5) that a unit would give its
 * {@code ExecStart=}, for {@code run}, as {@code KEY=VALUE} lines with systemd's names and syntax (several lines of
 * a key merge as in a unit file). Blank lines and lines starting with {@code #} are skipped. So far the capability
 * settings: {@code CapabilityBoundingSet=}, {@code AmbientCapabilities=}, {@code SecureBits=} and
 * {@code NoNewPrivileges=}. {@code run} is started as root: an ambient capability is for a run that is the
 * program itself, since a later switch of user (chpst -u) empties the ambient set.
 */
final class SandboxFile {
    private SandboxFile() {}

    /** Parses {@code text}; a bad line is an error naming {@code label} and the line. */
    static ExecOptions parse(String text, String label) throws ConfigException {
        long bounding = Capabilities.ALL;
        long ambient = 0;
        int secureBits = 0;
        boolean noNewPrivileges = false;
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = label + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) throw new ConfigException(where + "'" + line + "' is not KEY=VALUE");
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            try {
                switch (key) {
                    case "CapabilityBoundingSet" -> bounding = Capabilities.merge(bounding, Capabilities.ALL, value);
                    case "AmbientCapabilities" -> ambient = Capabilities.merge(ambient, 0, value);
                    case "SecureBits" -> secureBits = value.isEmpty() ? 0
                            : secureBits | Capabilities.secureBits(value);
                    case "NoNewPrivileges" -> noNewPrivileges = !value.isEmpty() && Values.bool(value);
                    default -> throw new ConfigException(where + "unknown setting '" + key + "' (known: "
                            + "CapabilityBoundingSet, AmbientCapabilities, SecureBits, NoNewPrivileges)");
                }
            } catch (InvalidValueException e) {
                throw new ConfigException(where + key + "=" + value + ": " + e.getMessage());
            }
        }
        return new ExecOptions(Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                List.of(), noNewPrivileges, new ExecOptions.CapabilitySets(bounding, ambient, secureBits));
    }
}
