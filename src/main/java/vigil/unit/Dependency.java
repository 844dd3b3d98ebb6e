package vigil.unit;

import java.util.Optional;

/** The [Unit] settings that name other units (systemd.unit(5)), with their legacy spellings. */
public enum Dependency {
    WANTS("Wants"),
    REQUIRES("Requires"),
    REQUISITE("Requisite"),
    BINDS_TO("BindsTo"),
    PART_OF("PartOf"),
    UPHOLDS("Upholds"),
    CONFLICTS("Conflicts"),
    BEFORE("Before"),
    AFTER("After"),
    ON_FAILURE("OnFailure"),
    ON_SUCCESS("OnSuccess"),
    PROPAGATES_RELOAD_TO("PropagatesReloadTo"),
    RELOAD_PROPAGATED_FROM("ReloadPropagatedFrom"),
    PROPAGATES_STOP_TO("PropagatesStopTo"),
    STOP_PROPAGATED_FROM("StopPropagatedFrom"),
    JOINS_NAMESPACE_OF("JoinsNamespaceOf");

    private final String directive;

    Dependency(String directive) {
        this.directive = directive;
    }

    public String directive() {
        return directive;
    }

    /** The dependency a [Unit] key sets, old spellings ({@code BindTo}, {@code PropagateReloadTo}) included. */
    public static Optional<Dependency> forDirective(String key) {
        for (Dependency d : values()) {
            if (d.directive.equals(key)) return Optional.of(d);
        }
        return switch (key) {
            case "BindTo" -> Optional.of(BINDS_TO);
            case "PropagateReloadTo" -> Optional.of(PROPAGATES_RELOAD_TO);
            case "PropagateReloadFrom" -> Optional.of(RELOAD_PROPAGATED_FROM);
            case "RequiresOverridable" -> Optional.of(REQUIRES);
            case "RequisiteOverridable" -> Optional.of(REQUISITE);
            default -> Optional.empty();
        };
    }
}
