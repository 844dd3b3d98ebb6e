package vigil.unit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the daemon says when it loads a unit: its errors one a line, but its warnings, which stock units have by
 * the dozen, in at most two lines: the security settings it runs without, said loudly, apart from everything else
 * it ignores. The detail, line by line, is {@code vigil verify}'s. Which directives are ignored is
 * {@link UnitDirectives}' to say (their {@code IGNORED_DIRECTIVE} diagnostics); this only sorts them.
 */
public final class LoadWarnings {
    private LoadWarnings() {}

    /** Directive name prefixes of the sandboxing and privilege settings: a unit without them is less protected. */
    private static final List<String> SECURITY_PREFIXES = List.of("Protect", "Private", "Restrict", "SystemCall",
            "Capability", "NoNewPrivileges", "AmbientCapabilities", "SecureBits", "ReadOnly", "ReadWrite",
            "Inaccessible", "NoExecPaths", "ExecPaths", "MemoryDenyWriteExecute", "LockPersonality", "DynamicUser",
            "RemoveIPC", "RootDirectory", "RootImage", "TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths",
            "DeviceAllow", "DevicePolicy", "IPAddressDeny", "IPAddressAllow", "KeyringMode", "UMask",
            "SELinuxContext", "AppArmorProfile", "SmackProcessLabel");

    static boolean isSecurity(String directive) {
        for (String prefix : SECURITY_PREFIXES) if (directive.startsWith(prefix)) return true;
        return false;
    }

    /** The lines to say, without the unit's name, which the caller puts in front. */
    public static List<String> lines(List<Diagnostic> diagnostics) {
        List<String> out = new ArrayList<>();
        Set<String> unprotected = new LinkedHashSet<>();
        Set<String> ignored = new LinkedHashSet<>();
        for (Diagnostic d : diagnostics) {
            if (d.isError()) {
                out.add(d.format());
            } else if (d.kind() == Diagnostic.Kind.IGNORED_DIRECTIVE && isSecurity(d.key())) {
                unprotected.add(d.key() + "=" + d.value());
            } else {
                ignored.add(d.key().isEmpty() ? d.reason() : d.key().startsWith("[") ? d.key() : d.key() + "=");
            }
        }
        if (!unprotected.isEmpty()) {
            out.add("runs WITHOUT " + String.join(", ", unprotected) + ": Vigil does not apply these security "
                    + "settings");
        }
        if (!ignored.isEmpty()) {
            out.add("ignores " + String.join(", ", ignored) + " (vigil verify shows why)");
        }
        return out;
    }
}
