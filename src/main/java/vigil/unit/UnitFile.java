package vigil.unit;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A unit as its files say it, before any value is interpreted: the fragment, then each drop-in in the order they
 * apply, flattened into one list of entries that each remember their file and line.
 *
 * @param name     the unit's name (an alias resolved to its target; an instance, never its template)
 * @param fragment the main unit file (for an instance, the template's file)
 * @param aliases  other names of this unit, from symlinks in the search path
 * @param dropIns  the {@code .conf} files applied after the fragment, in order
 * @param sections every section header, fragment first
 * @param entries  every assignment, fragment first, then the drop-ins in order
 * @param wants    unit names found in {@code .wants/} directories
 * @param requires unit names found in {@code .requires/} directories
 */
public record UnitFile(UnitName name, Path fragment, List<String> aliases, List<Path> dropIns,
                       List<Parser.SectionHeader> sections, List<Parser.Entry> entries, List<String> wants,
                       List<String> requires) {
    public UnitFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fragment, "fragment");
        aliases = List.copyOf(aliases);
        dropIns = List.copyOf(dropIns);
        sections = List.copyOf(sections);
        entries = List.copyOf(entries);
        wants = List.copyOf(wants);
        requires = List.copyOf(requires);
    }

    /** The entries of one section, in the order they apply. */
    public List<Parser.Entry> entries(String section) {
        return entries.stream().filter(e -> e.section().equals(section)).toList();
    }

    /** The raw values assigned to {@code key} in {@code section}, in order, empty resets included. */
    public List<String> values(String section, String key) {
        return entries.stream().filter(e -> e.section().equals(section) && e.key().equals(key))
                .map(Parser.Entry::value).toList();
    }
}
