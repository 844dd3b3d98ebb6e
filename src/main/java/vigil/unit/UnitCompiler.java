package vigil.unit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import vigil.resources.BadResourceValue;
import vigil.resources.ResourceSettings;

/**
 * Interprets a {@link UnitFile}'s entries into a typed {@link Unit}, checking each against {@link UnitDirectives}:
 * <ul>
 *   <li>an unknown section or directive is a warning, as is a directive Vigil does not act on;</li>
 *   <li>sections and keys starting with {@code X-} are skipped silently, but for Vigil's own
 *       {@link VigilCritical X-Vigil-Critical=}, whose value is checked;</li>
 *   <li>a value that does not parse is an error, and so is what systemd's own verification refuses (a service
 *       without ExecStart=, say): the unit then fails to load;</li>
 *   <li>except a bad resource-control value, which systemd ignores with a warning, and so does Vigil.</li>
 * </ul>
 * Units of types Vigil does not run (timers, mounts...) get one warning; their [Unit] and [Install] sections are
 * still checked.
 */
public final class UnitCompiler {
    private UnitCompiler() {}

    /** Compiles {@code file}; {@code fileDiagnostics} are the syntax and loader problems found so far. */
    public static UnitResult compile(String requested, UnitFile file, List<Diagnostic> fileDiagnostics, Host host) {
        var diagnostics = new ArrayList<>(fileDiagnostics);
        UnitName name = file.name();
        UnitType type = name.type();
        var sp = new Specifiers(name, Optional.of(file.fragment()), host);
        var unit = new UnitSection.Builder();
        var install = new InstallSection.Builder();
        Optional<ServiceSection.Builder> service = type == UnitType.SERVICE
                ? Optional.of(new ServiceSection.Builder(host)) : Optional.empty();
        Optional<SocketSection.Builder> socket = type == UnitType.SOCKET
                ? Optional.of(new SocketSection.Builder()) : Optional.empty();
        // A slice's limits: unlike a service's, a bad one is an error, as a slice has no other purpose.
        Optional<ResourceSettings> slice = type == UnitType.SLICE
                ? Optional.of(new ResourceSettings(ResourceSettings.Machine.current())) : Optional.empty();
        boolean runs = type == UnitType.SERVICE || type == UnitType.SOCKET || type == UnitType.TARGET
                || type == UnitType.SLICE;
        if (!runs) {
            diagnostics.add(Diagnostic.warning(Diagnostic.Kind.UNIT, Source.of(file.fragment()), "", "",
                    "Vigil does not run ." + type.suffix() + " units"
                            + type.section().map(s -> "; its [" + s + "] section is ignored").orElse("")));
        }

        for (Parser.SectionHeader header : file.sections()) {
            if (!header.name().startsWith("X-") && !UnitDirectives.hasSection(type, header.name())) {
                diagnostics.add(Diagnostic.warning(Diagnostic.Kind.UNKNOWN_SECTION, header.source(),
                        "[" + header.name() + "]", "", "unknown section in a ." + type.suffix() + " unit; ignored"));
            }
        }

        for (Parser.Entry e : file.entries()) {
            String section = e.section();
            if (VigilCritical.is(e) && type == UnitType.SERVICE && !e.value().isEmpty()) {
                try {
                    Values.bool(e.value());
                } catch (InvalidValueException ex) {
                    diagnostics.add(Diagnostic.error(Diagnostic.Kind.INVALID_VALUE, e.source(), e.key(), e.value(),
                            ex.getMessage()));
                }
                continue;
            }
            if (section.startsWith("X-") || e.key().startsWith("X-") || !UnitDirectives.hasSection(type, section)) {
                continue;
            }
            Optional<UnitDirectives.Directive> directive = UnitDirectives.lookup(section, e.key());
            if (directive.isEmpty()) {
                diagnostics.add(Diagnostic.warning(Diagnostic.Kind.UNKNOWN_DIRECTIVE, e.source(), e.key(), e.value(),
                        "unknown directive in [" + section + "]; ignored"));
                continue;
            }
            boolean ownSection = type.section().filter(section::equals).isPresent();
            if (ownSection && !runs) continue;
            if (directive.get().support() == UnitDirectives.Support.IGNORED) {
                diagnostics.add(Diagnostic.warning(Diagnostic.Kind.IGNORED_DIRECTIVE, e.source(), e.key(), e.value(),
                        "not supported by Vigil; ignored"));
            }
            try {
                String value = e.value();
                switch (directive.get().kind()) {
                    case TYPED -> {
                        switch (section) {
                            case "Unit" -> unit.set(e.key(), value, sp);
                            case "Install" -> install.set(e.key(), value, sp);
                            case "Service" -> service.orElseThrow().set(e.key(), value, sp);
                            case "Socket" -> socket.orElseThrow().set(e.key(), value, sp);
                            default -> throw new IllegalStateException("no typed [" + section + "] section");
                        }
                    }
                    case TYPED_IN_UNIT -> unit.set(e.key(), value, sp);
                    case BOOLEAN -> {
                        if (!value.isEmpty()) Values.bool(value);
                    }
                    case TIME_SPAN -> {
                        if (!value.isEmpty()) TimeSpan.parse(value);
                    }
                    case UNSIGNED -> {
                        if (!value.isEmpty()) Values.unsigned(value);
                    }
                    case RESOURCE -> {
                        if (slice.isPresent() && section.equals("Slice")) {
                            try {
                                slice.get().set(e.key(), value);
                            } catch (BadResourceValue ex) {
                                throw new InvalidValueException(ex.getMessage());
                            }
                            continue;
                        }
                        try {
                            (service.isPresent() ? service.get().resources()
                                    : new ResourceSettings(ResourceSettings.Machine.current())).set(e.key(), value);
                        } catch (BadResourceValue ex) {
                            diagnostics.add(Diagnostic.warning(Diagnostic.Kind.INVALID_VALUE, e.source(), e.key(),
                                    e.value(), ex.getMessage() + "; ignored, as systemd ignores it"));
                        }
                    }
                    case STRING -> { }
                }
            } catch (InvalidValueException ex) {
                diagnostics.add(Diagnostic.error(Diagnostic.Kind.INVALID_VALUE, e.source(), e.key(), e.value(),
                        ex.getMessage()));
            }
        }
        file.wants().forEach(w -> unit.addDependency(Dependency.WANTS, w));
        file.requires().forEach(r -> unit.addDependency(Dependency.REQUIRES, r));

        if (diagnostics.stream().noneMatch(Diagnostic::isError)) {
            UnitSection unitSection = unit.build();
            Optional<ServiceSection> serviceSection = service.map(ServiceSection.Builder::build);
            Optional<SocketSection> socketSection = socket.map(SocketSection.Builder::build);
            var problems = new ArrayList<String>();
            serviceSection.ifPresent(s -> problems.addAll(s.problems(unitSection)));
            socketSection.ifPresent(s -> problems.addAll(s.problems()));
            for (String problem : problems) {
                diagnostics.add(Diagnostic.error(Diagnostic.Kind.UNIT, Source.of(file.fragment()), "", "", problem));
            }
            if (problems.isEmpty()) {
                return new UnitResult.Loaded(requested, new Unit(file, unitSection, install.build(), serviceSection,
                        socketSection, slice.map(ResourceSettings::build)), sorted(diagnostics));
            }
        }
        return new UnitResult.Failed(requested, Optional.of(file), sorted(diagnostics));
    }

    /** Errors first; within each severity, the order they were found in (file order). */
    private static List<Diagnostic> sorted(List<Diagnostic> diagnostics) {
        var copy = new ArrayList<>(diagnostics);
        copy.sort(Comparator.comparing(d -> d.isError() ? 0 : 1));
        return copy;
    }
}
