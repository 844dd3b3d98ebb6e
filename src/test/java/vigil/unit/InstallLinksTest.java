package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallLinksTest {
    @TempDir
    Path root;

    private Path write(Path dir, String name, String text) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), text);
    }

    private InstallLinks links(Path... dirs) throws IOException {
        return InstallLinks.in(List.of(dirs), Host.current());
    }

    /** Every symlink under the root, relative to it, with what it points at. */
    private TreeMap<String, String> symlinks() throws IOException {
        var out = new TreeMap<String, String>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                out.put(root.relativize(p).toString(), Files.readSymbolicLink(p).toString());
            }
        }
        return out;
    }

    @Test
    void enableMakesWantsRequiresAndAliasLinksBesideTheFileAndAlsoEnablesTheOthers() throws Exception {
        Path etc = root.resolve("etc");
        Path lib = root.resolve("lib");
        Path web = write(lib, "web.service", """
                [Service]
                ExecStart=/bin/web
                [Install]
                WantedBy=multi-user.target
                RequiredBy=web.target
                Alias=www.service
                Also=db.service
                """);
        Path db = write(etc, "db.service", "[Service]\nExecStart=/bin/db\n[Install]\nWantedBy=multi-user.target\n");
        write(etc, "multi-user.target", "[Unit]\n");

        InstallLinks.Result result = links(etc, lib).enable(List.of("web.service"));
        assertEquals(List.of(
                "Created symlink " + lib.resolve("www.service") + " \u2192 " + web + ".",
                "Created symlink " + lib.resolve("multi-user.target.wants/web.service") + " \u2192 " + web + ".",
                "Created symlink " + lib.resolve("web.target.requires/web.service") + " \u2192 " + web + ".",
                "Created symlink " + etc.resolve("multi-user.target.wants/db.service") + " \u2192 " + db + "."),
                result.changes().stream().map(Object::toString).toList());
        assertEquals(List.of("Unit " + web + " is added as a dependency to a non-existent unit web.target."),
                result.warnings());
        assertEquals(Optional.of(InstallLinks.State.ENABLED), links(etc, lib).state("web.service"));
        assertEquals(Optional.of(InstallLinks.State.ALIAS), links(etc, lib).state("www.service"));
        assertEquals(Optional.of(InstallLinks.State.ENABLED), links(etc, lib).state("db"), "db means db.service");

        assertEquals(List.of(), links(etc, lib).enable(List.of("web.service")).changes(), "already enabled");
    }

    @Test
    void disableRemovesWhatEnableMadeAndTheRoundTripLeavesNoLink() throws Exception {
        Path dir = root.resolve("units");
        write(dir, "web.service", "[Service]\nExecStart=/bin/web\n[Install]\nWantedBy=a.target b.target\n"
                + "Alias=www.service\nAlso=db.service\n");
        write(dir, "db.service", "[Service]\nExecStart=/bin/db\n[Install]\nRequiredBy=a.target\n");
        write(dir, "other.service", "[Service]\nExecStart=/bin/o\n[Install]\nWantedBy=a.target\n");
        links(dir).enable(List.of("other.service"));
        var before = symlinks();

        links(dir).enable(List.of("web.service"));
        assertEquals(before.size() + 4, symlinks().size());
        InstallLinks.Result removed = links(dir).disable(List.of("web.service"));
        assertEquals(4, removed.changes().size(), removed.changes().toString());
        assertTrue(removed.changes().getFirst().toString().startsWith("Removed \"" + dir), removed.changes().toString());
        assertEquals(before, symlinks(), "only other.service's link is left");
        assertEquals(Optional.of(InstallLinks.State.DISABLED), links(dir).state("web.service"));
        assertEquals(Optional.of(InstallLinks.State.ENABLED), links(dir).state("other.service"));
    }

    @Test
    void isEnabledSaysStaticIndirectMaskedAndNothingForAMissingUnit() throws Exception {
        Path dir = root.resolve("units");
        write(dir, "plain.service", "[Service]\nExecStart=/bin/p\n");
        write(dir, "pair.service", "[Service]\nExecStart=/bin/p\n[Install]\nAlso=plain.service\n");
        Files.createSymbolicLink(dir.resolve("gone.service"), Path.of("/dev/null"));
        InstallLinks links = links(dir);
        assertEquals(Optional.of(InstallLinks.State.STATIC), links.state("plain.service"));
        assertEquals(Optional.of(InstallLinks.State.INDIRECT), links.state("pair.service"));
        assertEquals(Optional.of(InstallLinks.State.MASKED), links.state("gone.service"));
        assertFalse(InstallLinks.State.MASKED.enabled());
        assertEquals(Optional.empty(), links.state("nope.service"));
    }

    @Test
    void aTemplateIsEnabledAsItsDefaultInstanceAndAnInstanceUnderItsOwnName() throws Exception {
        Path dir = root.resolve("units");
        Path template = write(dir, "getty@.service", "[Service]\nExecStart=/bin/getty %i\n[Install]\n"
                + "WantedBy=getty.target\nDefaultInstance=tty1\n");
        write(dir, "bare@.service", "[Service]\nExecStart=/bin/b %i\n[Install]\nWantedBy=x.target\n");
        links(dir).enable(List.of("getty@.service", "getty@tty2.service"));
        assertEquals(template.toString(), symlinks().get("units/getty.target.wants/getty@tty1.service"));
        assertEquals(template.toString(), symlinks().get("units/getty.target.wants/getty@tty2.service"));
        links(dir).disable(List.of("getty@tty2.service"));
        assertEquals(List.of("units/getty.target.wants/getty@tty1.service"), List.copyOf(symlinks().keySet()),
                "the other instance's link stays");
        var refused = assertThrows(InstallLinks.InstallException.class, () -> links(dir).enable(List.of("bare@.service")));
        assertTrue(refused.getMessage().contains("bare@.service is a template with no DefaultInstance="),
                refused.getMessage());
    }

    @Test
    void aLinkInTheWayOrAMissingUnitIsRefusedWithItsName() throws Exception {
        Path dir = root.resolve("units");
        write(dir, "web.service", "[Service]\nExecStart=/bin/web\n[Install]\nAlias=www.service\n");
        Path other = write(dir, "other.service", "[Service]\nExecStart=/bin/o\n");
        Files.createSymbolicLink(dir.resolve("www.service"), other);
        var taken = assertThrows(InstallLinks.InstallException.class, () -> links(dir).enable(List.of("web.service")));
        assertEquals("File " + dir.resolve("www.service") + " already exists and is a symlink to " + other + ".",
                taken.getMessage());
        var missing = assertThrows(InstallLinks.InstallException.class,
                () -> links(dir).enable(List.of("nope.service")));
        assertEquals("Unit file nope.service does not exist.", missing.getMessage());
    }
}
