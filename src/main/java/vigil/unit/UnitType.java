package vigil.unit;

import java.util.Optional;

/** The unit types systemd knows, by file name suffix. */
public enum UnitType {
    SERVICE("service", "Service"),
    SOCKET("socket", "Socket"),
    TARGET("target", null),
    DEVICE("device", null),
    MOUNT("mount", "Mount"),
    AUTOMOUNT("automount", "Automount"),
    SWAP("swap", "Swap"),
    TIMER("timer", "Timer"),
    PATH("path", "Path"),
    SLICE("slice", "Slice"),
    SCOPE("scope", "Scope");

    private final String suffix;
    private final String section;

    UnitType(String suffix, String section) {
        this.suffix = suffix;
        this.section = section;
    }

    /** The suffix without the dot: {@code service}. */
    public String suffix() {
        return suffix;
    }

    /** The type's own section ({@code Service} for {@code [Service]}); targets and devices have none. */
    public Optional<String> section() {
        return Optional.ofNullable(section);
    }

    /** The type for a suffix without its dot, such as {@code socket}. */
    public static Optional<UnitType> fromSuffix(String suffix) {
        for (UnitType t : values()) {
            if (t.suffix.equals(suffix)) return Optional.of(t);
        }
        return Optional.empty();
    }
}
