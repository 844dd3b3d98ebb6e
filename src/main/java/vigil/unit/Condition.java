package vigil.unit;

import java.util.Objects;
import java.util.Set;

/**
 * One {@code Condition*=} or {@code Assert*=} check. A failed condition skips the unit; a failed assertion fails
 * it.
 *
 * @param check     the part after {@code Condition}/{@code Assert}: {@code PathExists}, {@code Virtualization}...
 * @param assertion true for {@code Assert*=}
 * @param trigger   the {@code |} prefix: the unit runs if any triggering condition holds (and all others do)
 * @param negate    the {@code !} prefix
 * @param argument  the value after the prefixes, specifiers expanded
 */
public record Condition(String check, boolean assertion, boolean trigger, boolean negate, String argument) {
    /** The checks systemd knows (systemd.unit(5), "Conditions and Asserts"). */
    public static final Set<String> CHECKS = Set.of("PathExists", "PathExistsGlob", "PathIsDirectory",
            "PathIsSymbolicLink", "PathIsMountPoint", "PathIsReadWrite", "PathIsEncrypted", "DirectoryNotEmpty",
            "FileNotEmpty", "FileIsExecutable", "NeedsUpdate", "FirstBoot", "Architecture", "Firmware",
            "Virtualization", "Host", "KernelCommandLine", "KernelVersion", "Version", "Credential", "Security",
            "Capability", "ACPower", "Memory", "CPUFeature", "CPUs", "Environment", "User", "Group",
            "ControlGroupController", "OSRelease", "MemoryPressure", "CPUPressure", "IOPressure",
            "KernelModuleLoaded");

    /** Checks whose argument is a file system path and must be absolute. */
    static final Set<String> PATH_CHECKS = Set.of("PathExists", "PathExistsGlob", "PathIsDirectory",
            "PathIsSymbolicLink", "PathIsMountPoint", "PathIsReadWrite", "PathIsEncrypted", "DirectoryNotEmpty",
            "FileNotEmpty", "FileIsExecutable", "NeedsUpdate");

    public Condition {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(argument, "argument");
    }

    /** Parses {@code [|][!]argument}, blanks allowed after each prefix, as systemd does. */
    static Condition parse(String check, boolean assertion, String value, Specifiers specifiers)
            throws InvalidValueException {
        String v = value;
        boolean trigger = v.startsWith("|");
        if (trigger) v = Parser.strip(v.substring(1));
        boolean negate = v.startsWith("!");
        if (negate) v = Parser.strip(v.substring(1));
        String argument = specifiers.expand(v);
        if (PATH_CHECKS.contains(check)) Values.absolutePath(argument);
        if (check.equals("NeedsUpdate") && !argument.equals("/etc") && !argument.equals("/var")) {
            throw new InvalidValueException("NeedsUpdate takes /etc or /var, not '" + argument + "'");
        }
        if (check.equals("FirstBoot") || check.equals("ACPower")) Values.bool(argument);
        return new Condition(check, assertion, trigger, negate, argument);
    }
}
