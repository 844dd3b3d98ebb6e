package vigil.unit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The typed {@code [Install]} section. Only enabling a unit reads it (systemctl enable creates the {@code .wants/}
 * symlinks); a running manager never does, so neither does Vigil's supervisor.
 */
public record InstallSection(List<String> alias, List<String> wantedBy, List<String> requiredBy,
                             List<String> upheldBy, List<String> also, Optional<String> defaultInstance) {
    public InstallSection {
        alias = List.copyOf(alias);
        wantedBy = List.copyOf(wantedBy);
        requiredBy = List.copyOf(requiredBy);
        upheldBy = List.copyOf(upheldBy);
        also = List.copyOf(also);
    }

    /** Collects [Install] assignments in file order; an empty assignment resets a list. */
    static final class Builder {
        private final List<String> alias = new ArrayList<>();
        private final List<String> wantedBy = new ArrayList<>();
        private final List<String> requiredBy = new ArrayList<>();
        private final List<String> upheldBy = new ArrayList<>();
        private final List<String> also = new ArrayList<>();
        private Optional<String> defaultInstance = Optional.empty();

        void set(String key, String value, Specifiers sp) throws InvalidValueException {
            List<String> list = switch (key) {
                case "Alias" -> alias;
                case "WantedBy" -> wantedBy;
                case "RequiredBy" -> requiredBy;
                case "UpheldBy" -> upheldBy;
                case "Also" -> also;
                case "DefaultInstance" -> {
                    defaultInstance = value.isEmpty() ? Optional.empty() : Optional.of(instance(sp.expand(value)));
                    yield null;
                }
                default -> throw new IllegalArgumentException("[Install] " + key + " is not a typed directive");
            };
            if (list == null) return;
            if (value.isEmpty()) list.clear();
            for (String word : Words.splitPlain(value)) {
                String name = sp.expand(word);
                Values.unitName(name);
                list.add(name);
            }
        }

        private static String instance(String value) throws InvalidValueException {
            if (UnitName.parse("x@" + value + ".service").isEmpty()) {
                throw new InvalidValueException("'" + value + "' is not a valid instance name");
            }
            return value;
        }

        InstallSection build() {
            return new InstallSection(alias, wantedBy, requiredBy, upheldBy, also, defaultInstance);
        }
    }
}
