package vigil.unit;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Expands {@code %} specifiers (systemd.unit(5), "Specifiers") for one unit. Unit-name specifiers come from the
 * unit's own name, the rest from the {@link Host}; a user manager's directories follow the XDG variables.
 *
 * <table>
 *   <caption>Specifiers</caption>
 *   <tr><td>%n %N</td><td>full unit name; without the type suffix</td></tr>
 *   <tr><td>%p %P</td><td>prefix (before {@code @}, or %N); unescaped</td></tr>
 *   <tr><td>%i %I</td><td>instance; unescaped ({@code -} is {@code /}, {@code \xNN} a byte)</td></tr>
 *   <tr><td>%j %J</td><td>the prefix's part after its last {@code -}; unescaped</td></tr>
 *   <tr><td>%f</td><td>{@code /} + the unescaped instance, or prefix if there is no instance</td></tr>
 *   <tr><td>%u %U %g %G %h %s</td><td>the manager's user, uid, group, gid, home and shell ({@code root}, 0,
 *       {@code root}, 0, {@code /root}, {@code /bin/sh} for the system manager)</td></tr>
 *   <tr><td>%t %S %C %L %E</td><td>runtime, state, cache, logs and configuration roots</td></tr>
 *   <tr><td>%T %V</td><td>temporary directories ({@code /tmp}, {@code /var/tmp} unless $TMPDIR)</td></tr>
 *   <tr><td>%d</td><td>the unit's credentials directory</td></tr>
 *   <tr><td>%H %l %m %b %v %a</td><td>host name, short host name, machine id, boot id, kernel release,
 *       architecture</td></tr>
 *   <tr><td>%o %w %W %B %A %M</td><td>os-release ID, VERSION_ID, VARIANT_ID, BUILD_ID, IMAGE_VERSION,
 *       IMAGE_ID</td></tr>
 *   <tr><td>%y %Y</td><td>the unit file's path; its directory</td></tr>
 *   <tr><td>%%</td><td>a single {@code %}</td></tr>
 * </table>
 * Any other letter after {@code %} is an error; a {@code %} at the very end is kept, as systemd does.
 */
public record Specifiers(UnitName unit, Optional<Path> fragment, Host host) {
    public Specifiers {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(fragment, "fragment");
        Objects.requireNonNull(host, "host");
    }

    public String expand(String text) throws InvalidValueException {
        int percent = text.indexOf('%');
        if (percent < 0) return text;
        var out = new StringBuilder(text.length() + 32);
        out.append(text, 0, percent);
        for (int i = percent; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '%') {
                out.append(c);
            } else if (i + 1 == text.length()) {
                out.append('%');
            } else {
                out.append(value(text.charAt(++i)));
            }
        }
        return out.toString();
    }

    private String value(char specifier) throws InvalidValueException {
        return switch (specifier) {
            case '%' -> "%";
            case 'n' -> unit.toString();
            case 'N' -> unit.stem();
            case 'p' -> unit.prefix();
            case 'P' -> UnitName.unescape(unit.prefix());
            case 'i' -> unit.instance().orElse("");
            case 'I' -> UnitName.unescape(unit.instance().orElse(""));
            case 'j' -> lastComponent();
            case 'J' -> UnitName.unescape(lastComponent());
            case 'f' -> UnitName.unescapePath(unit.isInstance() ? unit.instance().get() : unit.prefix());
            case 'u' -> host.userName();
            case 'U' -> String.valueOf(host.uid());
            case 'g' -> host.groupName();
            case 'G' -> String.valueOf(host.gid());
            case 'h' -> host.home().toString();
            case 's' -> host.shell();
            case 't' -> host.runtimeDirectory().toString();
            case 'S' -> host.stateDirectory().toString();
            case 'C' -> host.cacheDirectory().toString();
            case 'L' -> host.logsDirectory().toString();
            case 'E' -> host.configurationDirectory().toString();
            case 'T' -> host.temporaryDirectory().toString();
            case 'V' -> host.persistentTemporaryDirectory().toString();
            case 'd' -> host.runtimeDirectory().resolve("credentials").resolve(unit.toString()).toString();
            case 'H' -> host.hostname();
            case 'l' -> host.hostname().contains(".")
                    ? host.hostname().substring(0, host.hostname().indexOf('.')) : host.hostname();
            case 'm' -> host.machineId();
            case 'b' -> host.bootId();
            case 'v' -> host.kernelRelease();
            case 'a' -> host.architecture();
            case 'o' -> host.osRelease().getOrDefault("ID", "");
            case 'w' -> host.osRelease().getOrDefault("VERSION_ID", "");
            case 'W' -> host.osRelease().getOrDefault("VARIANT_ID", "");
            case 'B' -> host.osRelease().getOrDefault("BUILD_ID", "");
            case 'A' -> host.osRelease().getOrDefault("IMAGE_VERSION", "");
            case 'M' -> host.osRelease().getOrDefault("IMAGE_ID", "");
            case 'y' -> fragment.map(Path::toString).orElse("");
            case 'Y' -> fragment.map(Path::getParent).map(Path::toString).orElse("");
            default -> throw new InvalidValueException("unknown specifier %" + specifier);
        };
    }

    private String lastComponent() {
        String prefix = unit.prefix();
        int dash = prefix.lastIndexOf('-');
        return dash < 0 ? prefix : prefix.substring(dash + 1);
    }
}
