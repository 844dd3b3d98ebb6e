package vigil.unit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code systemctl enable}, {@code disable} and {@code is-enabled} do with a unit's {@code [Install]} section:
 * the {@code TARGET.wants/}, {@code TARGET.requires/} and {@code TARGET.upholds/} symlinks and the alias symlinks,
 * made in the unit directory the unit's file is in, each pointing at that file by its absolute path. {@code Also=}
 * units are enabled and disabled with it. Each change is returned, so that the caller can say it as systemctl does.
 */
public final class InstallLinks {
    private final UnitLoader loader;

    /** One symlink made or removed. */
    public sealed interface Change {
        Path link();

        /** "Created symlink LINK → FILE.", systemctl's words. */
        record Created(Path link, Path target) implements Change {
            @Override
            public String toString() {
                return "Created symlink " + link + " \u2192 " + target + ".";
            }
        }

        /** "Removed "LINK".", systemctl's words. */
        record Removed(Path link) implements Change {
            @Override
            public String toString() {
                return "Removed \"" + link + "\".";
            }
        }
    }

    /** What enable did: the changes, and the warnings systemctl gives (a target that exists nowhere...). */
    public record Result(List<Change> changes, List<String> warnings) {}

    /** The unit cannot be enabled or disabled; the message names it and says why. */
    public static final class InstallException extends Exception {
        InstallException(String message) {
            super(message);
        }
    }

    /** systemctl is-enabled's answers; {@code enabled()} is what makes it exit 0. */
    public enum State {
        ENABLED(true), DISABLED(false), STATIC(true), INDIRECT(true), ALIAS(true), MASKED(false);

        private final boolean enabled;

        State(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean enabled() {
            return enabled;
        }

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private InstallLinks(UnitLoader loader) {
        this.loader = loader;
    }

    /** Over these unit directories, read now. */
    public static InstallLinks in(List<Path> unitDirectories, Host host) throws IOException {
        return new InstallLinks(UnitLoader.scan(unitDirectories, host));
    }

    /** The unit to install, what its links are called and what they point at. */
    private record Installable(String name, Path file, InstallSection install) {}

    /** Makes the links of each unit and of its {@code Also=} units; links already right are left alone. */
    public Result enable(List<String> names) throws InstallException, IOException {
        List<Change> changes = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (Installable u : withAlso(names)) {
            InstallSection i = u.install();
            if (i.wantedBy().isEmpty() && i.requiredBy().isEmpty() && i.upheldBy().isEmpty() && i.alias().isEmpty()
                    && i.also().isEmpty()) {
                warnings.add("The unit " + u.name() + " has no installation config (WantedBy=, RequiredBy=, "
                        + "UpheldBy=, Also=, Alias= in its [Install] section): it is not meant to be enabled or "
                        + "disabled; nothing was done for it.");
                continue;
            }
            Path dir = u.file().getParent();
            for (String alias : i.alias()) link(dir.resolve(alias), u.file(), changes);
            links(u, i.wantedBy(), ".wants", changes, warnings);
            links(u, i.requiredBy(), ".requires", changes, warnings);
            links(u, i.upheldBy(), ".upholds", changes, warnings);
        }
        return new Result(changes, warnings);
    }

    private void links(Installable u, List<String> targets, String suffix, List<Change> changes,
                       List<String> warnings) throws InstallException, IOException {
        for (String target : targets) {
            Path dir = u.file().getParent().resolve(target + suffix);
            Files.createDirectories(dir);
            link(dir.resolve(u.name()), u.file(), changes);
            if (loader.locate(target).name().isEmpty()) {
                warnings.add("Unit " + u.file() + " is added as a dependency to a non-existent unit " + target
                        + ".");
            }
        }
    }

    private static void link(Path link, Path file, List<Change> changes) throws InstallException, IOException {
        if (Files.isSymbolicLink(link)) {
            Path now = Files.readSymbolicLink(link);
            if (link.getParent().resolve(now).normalize().equals(file)) return;
            throw new InstallException("File " + link + " already exists and is a symlink to " + now + ".");
        }
        try {
            Files.createSymbolicLink(link, file);
        } catch (FileAlreadyExistsException e) {
            throw new InstallException("File " + link + " already exists.");
        }
        changes.add(new Change.Created(link, file));
    }

    /**
     * Removes every link to each unit and its {@code Also=} units in the unit directories: the entries named for
     * it in any {@code .wants/}, {@code .requires/} or {@code .upholds/} directory, and its aliases.
     */
    public Result disable(List<String> names) throws InstallException, IOException {
        List<Change> changes = new ArrayList<>();
        for (Installable u : withAlso(names)) {
            Set<String> linkNames = new LinkedHashSet<>(List.of(u.name()));
            linkNames.addAll(u.install().alias());
            for (Path dir : loader.searchPath()) {
                for (Path link : linksIn(dir, u, linkNames)) {
                    Files.delete(link);
                    changes.add(new Change.Removed(link));
                }
            }
        }
        return new Result(changes, List.of());
    }

    /** The links in {@code dir} that enabling {@code u} made, or that name it. */
    private static List<Path> linksIn(Path dir, Installable u, Set<String> names) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path entry : list(dir)) {
            String name = entry.getFileName().toString();
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && isDependencyDirectory(name)) {
                // By name, as systemd: links to a template's file are its instances', each enabled on its own.
                for (Path link : list(entry)) {
                    if (Files.isSymbolicLink(link) && names.contains(link.getFileName().toString())) out.add(link);
                }
            } else if (Files.isSymbolicLink(entry) && !name.equals(u.name()) && names.contains(name)
                    && pointsAt(entry, u.file())) {
                out.add(entry);
            }
        }
        return out;
    }

    private static boolean isDependencyDirectory(String name) {
        return name.endsWith(".wants") || name.endsWith(".requires") || name.endsWith(".upholds");
    }

    private static boolean pointsAt(Path link, Path file) throws IOException {
        return link.getParent().resolve(Files.readSymbolicLink(link)).normalize().equals(file);
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) out.add(p);
        }
        out.sort(null);
        return out;
    }

    /** {@code web} means {@code web.service}, as systemctl reads a name with no type. */
    private static String mangled(String name) {
        return UnitName.isValid(name) || !UnitName.isValid(name + ".service") ? name : name + ".service";
    }

    /** What {@code systemctl is-enabled} says of the unit; empty if no file provides it. */
    public Optional<State> state(String requested) throws IOException {
        String name = mangled(requested);
        if (loader.isMasked(name)) return Optional.of(State.MASKED);
        if (loader.isAlias(name)) return Optional.of(State.ALIAS);
        Installable u;
        try {
            u = installable(name);
        } catch (InstallException e) {
            return Optional.empty();
        }
        Set<String> linkNames = new LinkedHashSet<>(List.of(u.name()));
        linkNames.addAll(u.install().alias());
        for (Path dir : loader.searchPath()) {
            if (!linksIn(dir, u, linkNames).isEmpty()) return Optional.of(State.ENABLED);
        }
        InstallSection i = u.install();
        if (i.wantedBy().isEmpty() && i.requiredBy().isEmpty() && i.upheldBy().isEmpty() && i.alias().isEmpty()) {
            return Optional.of(i.also().isEmpty() ? State.STATIC : State.INDIRECT);
        }
        return Optional.of(State.DISABLED);
    }

    /** The units and, transitively, their {@code Also=} units, each once, in the order named. */
    private List<Installable> withAlso(List<String> names) throws InstallException {
        List<Installable> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> work = new ArrayDeque<>(names);
        while (!work.isEmpty()) {
            String name = work.pollFirst();
            if (!seen.add(name)) continue;
            Installable u = installable(name);
            out.add(u);
            work.addAll(u.install().also());
        }
        return out;
    }

    /**
     * The unit's file and [Install] section. A template is installed as its {@code DefaultInstance=}; an instance
     * links to its template's file under its own name.
     */
    private Installable installable(String requested) throws InstallException {
        Optional<UnitName> name = UnitName.parse(mangled(requested));
        if (name.isEmpty()) throw new InstallException("Unit name " + requested + " is not valid.");
        UnitName n = name.get();
        if (n.isTemplate()) {
            InstallSection i = loaded(n.withInstance("instance").toString()).install();
            if (i.defaultInstance().isEmpty()) {
                throw new InstallException("Unit " + requested + " is a template with no DefaultInstance=: "
                        + "enable an instance of it (" + n.prefix() + "@NAME." + n.type().suffix() + ").");
            }
            n = n.withInstance(i.defaultInstance().get());
        }
        Unit unit = loaded(n.toString());
        return new Installable(n.toString(), unit.file().fragment(), unit.install());
    }

    private Unit loaded(String name) throws InstallException {
        return switch (loader.load(name)) {
            case UnitResult.Loaded l -> l.unit();
            case UnitResult.Masked m -> throw new InstallException("Unit file " + m.path() + " is masked.");
            case UnitResult.NotFound nf -> throw new InstallException("Unit file " + name + " does not exist.");
            case UnitResult.Failed f -> throw new InstallException("Unit file " + name + " has errors: "
                    + f.diagnostics().stream().filter(Diagnostic::isError).map(Diagnostic::format).toList());
        };
    }
}
