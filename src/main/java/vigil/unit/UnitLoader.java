package vigil.unit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds and loads units by name from a search path of unit directories, as systemd does (systemd.unit(5),
 * "Unit File Load Path"):
 * <ul>
 *   <li>The directories are searched in order and the first one holding a name wins, whatever it holds: a file,
 *       a symlink to {@code /dev/null} (the unit is masked; an empty file masks too), or a symlink to another
 *       unit in the search path (an alias: the unit loads under the target's name). A symlink to a file outside
 *       the search path is a linked unit file, loaded under the symlink's name.</li>
 *   <li>{@code foo@bar.service} without a file of its own is loaded from {@code foo@.service} with instance
 *       {@code bar}; template aliases carry the instance over.</li>
 *   <li>Drop-ins are {@code *.conf} files in {@code NAME.d/} directories, searched for the unit's name, then its
 *       template, then each dash prefix ({@code foo-bar-.service.d/}, {@code foo-.service.d/}), then its aliases,
 *       each across the whole search path, and last the type-wide {@code service.d/}. A file name met again later
 *       in that order is skipped, so {@code /etc} overrides {@code /usr/lib} and the more specific directory
 *       overrides the more general; the survivors apply sorted by file name.</li>
 *   <li>{@code NAME.wants/} and {@code NAME.requires/} are searched the same way; each entry's name becomes a
 *       Wants= or Requires= dependency.</li>
 * </ul>
 * The directories are listed once, when the loader is made; files are parsed once and shared between units.
 * Not thread-safe.
 */
public final class UnitLoader {
    private static final int MAX_ALIAS_HOPS = 32;
    /**
     * The largest unit file or drop-in read: systemd's LONG_LINE_MAX, the longest line (continued lines included)
     * its config parser reads. Anything bigger is refused unread: a unit file has no business being larger, and
     * a huge one would only cost the daemon memory.
     */
    public static final int MAX_FILE_SIZE = 1024 * 1024;

    private final List<Path> searchPath;
    private final Host host;
    /** The first entry for each valid unit name, in search path order. */
    private final Map<String, IndexEntry> index = new HashMap<>();
    /** Every name in each search directory, to test for drop-in directories without a stat. */
    private final Map<Path, Set<String>> listings = new HashMap<>();
    /** For each unit name, the aliases (symlinks) that resolve to it. */
    private final Map<String, List<String>> aliases = new HashMap<>();
    private final Map<Path, ParsedOrFailed> parsed = new HashMap<>();

    private sealed interface IndexEntry {}

    private record FileEntry(Path path) implements IndexEntry {}

    private record MaskEntry(Path path) implements IndexEntry {}

    private record AliasEntry(Path link, String target) implements IndexEntry {}

    private record ParsedOrFailed(Optional<Parser.ParsedFile> file, Optional<Diagnostic> failure,
                                  Optional<String> digest) {}

    /**
     * Where a unit's files are.
     *
     * @param fragment the file to read, or empty if the unit is masked or missing
     * @param masked   the mask (symlink to /dev/null) that hides the unit, if any
     */
    public record Location(String requested, Optional<UnitName> name, Optional<Path> fragment, Optional<Path> masked,
                           List<String> aliases, List<Path> dropIns, List<String> wants, List<String> requires,
                           List<Diagnostic> diagnostics, String missingReason) {}

    private UnitLoader(List<Path> searchPath, Host host) {
        this.searchPath = List.copyOf(searchPath);
        this.host = host;
    }

    /** Lists every directory of {@code searchPath} (missing ones are skipped) and indexes the unit names found. */
    public static UnitLoader scan(List<Path> searchPath, Host host) throws IOException {
        var loader = new UnitLoader(searchPath.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList(),
                host);
        loader.buildIndex();
        return loader;
    }

    public List<Path> searchPath() {
        return searchPath;
    }

    private void buildIndex() throws IOException {
        Set<Path> dirs = new HashSet<>(searchPath);
        for (Path dir : searchPath) {
            var names = new HashSet<String>();
            listings.put(dir, names);
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                for (Path entry : stream) {
                    String name = entry.getFileName().toString();
                    names.add(name);
                    if (index.containsKey(name) || !UnitName.isValid(name)) continue;
                    indexEntry(dir, entry, name, dirs).ifPresent(e -> index.put(name, e));
                }
            } catch (NoSuchFileException | NotDirectoryException e) {
                // A search path commonly lists directories that do not exist.
            } catch (DirectoryIteratorException e) {
                throw e.getCause();
            }
        }
        for (var e : index.entrySet()) {
            if (e.getValue() instanceof AliasEntry) {
                finalName(e.getKey()).ifPresent(target -> aliases.computeIfAbsent(target, t -> new ArrayList<>())
                        .add(e.getKey()));
            }
        }
        aliases.values().forEach(l -> l.sort(null));
    }

    private static Optional<IndexEntry> indexEntry(Path dir, Path entry, String name, Set<Path> dirs)
            throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attrs.isDirectory()) return Optional.empty();
        if (!attrs.isSymbolicLink()) return Optional.of(new FileEntry(entry));
        Path target = Files.readSymbolicLink(entry);
        Path resolved = dir.resolve(target).normalize();
        if (resolved.equals(Path.of("/dev/null"))) return Optional.of(new MaskEntry(entry));
        String targetName = resolved.getFileName() == null ? "" : resolved.getFileName().toString();
        boolean inSearchPath = dirs.contains(resolved.getParent());
        if (!inSearchPath || targetName.equals(name)) return Optional.of(new FileEntry(entry));
        Optional<UnitName> t = UnitName.parse(targetName);
        Optional<UnitName> n = UnitName.parse(name);
        if (t.isEmpty() || n.isEmpty() || t.get().type() != n.get().type()) {
            // systemd refuses an alias to another unit type or to a non-unit; treat the link as a plain file.
            return Optional.of(new FileEntry(entry));
        }
        return Optional.of(new AliasEntry(entry, targetName));
    }

    /** The name an alias chain ends at (for the alias index), without instance handling. */
    private Optional<String> finalName(String name) {
        String current = name;
        for (int hop = 0; hop < MAX_ALIAS_HOPS; hop++) {
            IndexEntry e = index.get(current);
            if (!(e instanceof AliasEntry a)) return e == null ? Optional.empty() : Optional.of(current);
            current = a.target();
        }
        return Optional.empty();
    }

    /** Every valid unit name in the search path (files, aliases and masks), sorted. */
    public List<String> names() {
        return index.keySet().stream().sorted().toList();
    }

    /** The names that are unit files in {@code dir} itself (not aliases, not masks), sorted. */
    public List<String> unitFilesIn(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return index.entrySet().stream()
                .filter(e -> e.getValue() instanceof FileEntry f && f.path().getParent().equals(d))
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** Whether {@code name} is an alias symlink, and so not a unit of its own. */
    public boolean isAlias(String name) {
        return index.get(name) instanceof AliasEntry;
    }

    /** Whether {@code name} is masked by its own entry. */
    public boolean isMasked(String name) {
        return index.get(name) instanceof MaskEntry;
    }

    /** Finds the files of a unit, without reading them. */
    public Location locate(String requested) {
        Optional<UnitName> parsedName = UnitName.parse(requested);
        if (parsedName.isEmpty()) return missing(requested, "'" + requested + "' is not a valid unit name");
        UnitName current = parsedName.get();
        // foo@bar.service linked to foo@.service names an instance of that template, not an alias of itself.
        boolean instanceOfItsTemplate = false;
        for (int hop = 0; hop < MAX_ALIAS_HOPS; hop++) {
            IndexEntry entry = instanceOfItsTemplate ? null : index.get(current.toString());
            boolean viaTemplate = false;
            if (entry == null && current.isInstance()) {
                entry = index.get(current.template().toString());
                viaTemplate = true;
            }
            if (entry == null) return missing(requested, "no unit file for " + current + " in the search path");
            switch (entry) {
                case MaskEntry m -> {
                    return new Location(requested, Optional.of(current), Optional.empty(), Optional.of(m.path()),
                            List.of(), List.of(), List.of(), List.of(), List.of(), "");
                }
                case FileEntry f -> {
                    return found(requested, current, f.path());
                }
                case AliasEntry a -> {
                    UnitName target = UnitName.parse(a.target()).orElseThrow();
                    if (viaTemplate || current.isInstance() && target.isTemplate()) {
                        target = target.withInstance(current.instance().orElseThrow());
                    }
                    instanceOfItsTemplate = !viaTemplate && target.equals(current);
                    current = target;
                }
            }
        }
        return missing(requested, "too many levels of aliases for " + requested);
    }

    private static Location missing(String requested, String reason) {
        return new Location(requested, Optional.empty(), Optional.empty(), Optional.empty(), List.of(), List.of(),
                List.of(), List.of(), List.of(), reason);
    }

    private Location found(String requested, UnitName name, Path fragment) {
        var names = new ArrayList<String>();
        for (String alias : aliases.getOrDefault(name.toString(), List.of())) names.add(alias);
        if (name.isInstance()) {
            for (String alias : aliases.getOrDefault(name.template().toString(), List.of())) {
                UnitName.parse(alias).filter(UnitName::isTemplate)
                        .ifPresent(a -> names.add(a.withInstance(name.instance().orElseThrow()).toString()));
            }
        }
        if (!requested.equals(name.toString()) && !names.contains(requested)) names.add(requested);
        var all = new ArrayList<String>();
        all.add(name.toString());
        all.addAll(names);

        var diagnostics = new ArrayList<Diagnostic>();
        List<Path> dropIns = new ArrayList<>(collect(directories(all, name.type(), ".d"), ".conf").values());
        List<String> wants = dependencies(name, all, ".wants", diagnostics);
        List<String> requires = dependencies(name, all, ".requires", diagnostics);
        return new Location(requested, Optional.of(name), Optional.of(fragment), Optional.empty(), names, dropIns,
                wants, requires, diagnostics, "");
    }

    /** The existing {@code NAME+suffix} directories for every name, in systemd's order, then the type-wide one. */
    private List<Path> directories(List<String> names, UnitType type, String suffix) {
        var dirs = new LinkedHashSet<Path>();
        for (String n : names) {
            for (Path dir : searchPath) findDirectories(dir, n, suffix, dirs);
        }
        for (Path dir : searchPath) {
            if (listings.get(dir).contains(type.suffix() + suffix)) dirs.add(dir.resolve(type.suffix() + suffix));
        }
        return new ArrayList<>(dirs);
    }

    /** systemd's unit_file_find_dirs(): the name, its template, then each shorter dash prefix. */
    private void findDirectories(Path dir, String name, String suffix, Set<Path> out) {
        if (listings.get(dir).contains(name + suffix)) out.add(dir.resolve(name + suffix));
        UnitName n = UnitName.parse(name).orElseThrow();
        if (n.isInstance()) findDirectories(dir, n.template().toString(), suffix, out);
        String prefix = n.prefix();
        boolean chopped = false;
        while (true) {
            int dash = prefix.lastIndexOf('-');
            if (dash <= 0) return;
            if (dash == prefix.length() - 1 && !chopped) {
                // "foo-bar-.service" looks for "foo-.service" next: drop the trailing dash once and look again.
                prefix = prefix.substring(0, dash);
                chopped = true;
                continue;
            }
            prefix = prefix.substring(0, dash + 1);
            break;
        }
        String parent = new UnitName(prefix, n.isInstance() ? n.instance() : Optional.empty(), n.type())
                .toString();
        findDirectories(dir, parent, suffix, out);
    }

    /** Files ending in {@code suffix} in {@code dirs}: the first of each file name wins; sorted by file name. */
    private static TreeMap<String, Path> collect(List<Path> dirs, String suffix) {
        var files = new TreeMap<String, Path>();
        for (Path dir : dirs) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                for (Path p : stream) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(suffix)) files.putIfAbsent(name, p);
                }
            } catch (IOException | DirectoryIteratorException e) {
                // A drop-in "directory" that is a file or unreadable contributes nothing, as in systemd.
            }
        }
        return files;
    }

    private List<String> dependencies(UnitName unit, List<String> names, String suffix, List<Diagnostic> out) {
        var result = new ArrayList<String>();
        for (var e : collect(directories(names, unit.type(), suffix), "").entrySet()) {
            Optional<UnitName> dep = UnitName.parse(e.getKey());
            if (dep.isEmpty()) continue;
            if (dep.get().isTemplate()) {
                if (unit.isInstance()) {
                    result.add(dep.get().withInstance(unit.instance().orElseThrow()).toString());
                } else {
                    out.add(Diagnostic.warning(Diagnostic.Kind.UNIT, Source.of(e.getValue()), "", "",
                            "a template in " + suffix + "/ of a unit that is not an instance; ignored"));
                }
                continue;
            }
            if (!exists(dep.get()) && dangling(e.getValue())) {
                // systemd goes by the link's name, not where it points: the dependency stays, and the job engine
                // says so when it looks for the unit. This says which file made it.
                out.add(Diagnostic.warning(Diagnostic.Kind.UNIT, Source.of(e.getValue()), "", "",
                        "a link pointing nowhere, to a unit (" + e.getKey() + ") in no unit directory"));
            }
            result.add(e.getKey());
        }
        return result;
    }

    /** Whether the search path has {@code name}, or the template it is an instance of. */
    private boolean exists(UnitName name) {
        return index.containsKey(name.toString()) || name.isInstance() && index.containsKey(name.template().toString());
    }

    private static boolean dangling(Path link) {
        return Files.isSymbolicLink(link) && !Files.exists(link);
    }

    /** Locates, reads and compiles a unit. */
    public UnitResult load(String requested) {
        Location location = locate(requested);
        if (location.masked().isPresent()) return new UnitResult.Masked(requested, location.masked().get());
        if (location.fragment().isEmpty()) return new UnitResult.NotFound(requested, location.missingReason());
        Path fragment = location.fragment().get();
        UnitName name = location.name().orElseThrow();

        ParsedOrFailed main = parse(fragment);
        if (main.failure().isPresent()) {
            return new UnitResult.Failed(requested, Optional.empty(), List.of(main.failure().get()));
        }
        Parser.ParsedFile mainFile = main.file().orElseThrow();
        if (mainFile.sections().isEmpty() && mainFile.entries().isEmpty() && mainFile.diagnostics().isEmpty()
                && isEmpty(fragment)) {
            return new UnitResult.Masked(requested, fragment);
        }
        var diagnostics = new ArrayList<>(location.diagnostics());
        var sections = new ArrayList<>(mainFile.sections());
        var entries = new ArrayList<>(mainFile.entries());
        diagnostics.addAll(mainFile.diagnostics());
        for (Path dropIn : location.dropIns()) {
            ParsedOrFailed p = parse(dropIn);
            p.failure().ifPresent(diagnostics::add);
            p.file().ifPresent(f -> {
                sections.addAll(f.sections());
                entries.addAll(f.entries());
                diagnostics.addAll(f.diagnostics());
            });
        }
        var file = new UnitFile(name, fragment, location.aliases(), location.dropIns(), sections, entries,
                location.wants(), location.requires());
        return UnitCompiler.compile(requested, file, diagnostics, host);
    }

    private static boolean isEmpty(Path file) {
        try {
            return Files.size(file) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The SHA-256 of what was read of {@code file} by this loader, in hex: what a daemon-reload compares to tell a
     * changed unit, without keeping its text. Empty if the file was not read, or could not be.
     */
    public Optional<String> digest(Path file) {
        ParsedOrFailed p = parsed.get(file);
        return p == null ? Optional.empty() : p.digest();
    }

    private ParsedOrFailed parse(Path file) {
        return parsed.computeIfAbsent(file, f -> {
            byte[] bytes;
            try {
                bytes = read(f);
            } catch (IOException e) {
                return failed(Diagnostic.error(Diagnostic.Kind.IO, Source.of(f), "", "",
                        "cannot read: " + e.getMessage()));
            } catch (TooLarge e) {
                return failed(Diagnostic.error(Diagnostic.Kind.IO, Source.of(f), "", "", e.getMessage()));
            }
            // Decoding replaces malformed UTF-8 rather than failing, so one bad byte costs a line, not the unit.
            String text = new String(bytes, StandardCharsets.UTF_8);
            return new ParsedOrFailed(Optional.of(Parser.parse(f, text)), Optional.empty(),
                    Optional.of(HexFormat.of().formatHex(sha256(bytes))));
        });
    }

    private static ParsedOrFailed failed(Diagnostic why) {
        return new ParsedOrFailed(Optional.empty(), Optional.of(why), Optional.empty());
    }

    /** A unit file larger than {@link #MAX_FILE_SIZE}. */
    private static final class TooLarge extends Exception {
        TooLarge(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads a whole unit file, refusing one over {@link #MAX_FILE_SIZE} without reading more of it than that, and
     * anything but a regular file: {@code /dev/zero} would never end, and a FIFO would hang the reload.
     */
    private static byte[] read(Path file) throws IOException, TooLarge {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attrs.isRegularFile()) {
            // A drop-in linked to /dev/null is masked: it says nothing.
            if (file.toRealPath().equals(Path.of("/dev/null"))) return new byte[0];
            throw new IOException("not a regular file");
        }
        if (attrs.size() > MAX_FILE_SIZE) throw tooLarge(attrs.size() + " bytes");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_SIZE + 1);
            // It may have grown since the stat.
            if (bytes.length > MAX_FILE_SIZE) throw tooLarge("more than " + MAX_FILE_SIZE + " bytes");
            return bytes;
        }
    }

    private static TooLarge tooLarge(String size) {
        return new TooLarge("too large: " + size + ", where a unit file may have " + MAX_FILE_SIZE
                + " bytes (1 MiB) at most");
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
