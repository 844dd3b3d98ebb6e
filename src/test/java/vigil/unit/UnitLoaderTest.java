package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class UnitLoaderTest {
    @TempDir
    Path root;
    private Path etc;
    private Path run;
    private Path lib;

    @BeforeEach
    void dirs() throws IOException {
        etc = Files.createDirectories(root.resolve("etc"));
        run = Files.createDirectories(root.resolve("run"));
        lib = Files.createDirectories(root.resolve("lib"));
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private UnitLoader loader() throws IOException {
        return UnitLoader.scan(List.of(etc, run, lib), TestHosts.system());
    }

    private Unit loaded(String name) throws IOException {
        UnitResult r = loader().load(name);
        return assertInstanceOf(UnitResult.Loaded.class, r, () -> "got " + r).unit();
    }

    private static String description(Unit u) {
        return u.unit().description();
    }

    @Test
    void firstDirectoryInTheSearchPathWins() throws IOException {
        write(lib.resolve("a.service"), "[Unit]\nDescription=lib\n[Service]\nExecStart=/bin/true\n");
        write(etc.resolve("a.service"), "[Unit]\nDescription=etc\n[Service]\nExecStart=/bin/true\n");
        Unit u = loaded("a.service");
        assertEquals("etc", description(u));
        assertEquals(etc.resolve("a.service"), u.file().fragment());
    }

    @Test
    void templateInstanceGetsTheInstanceName() throws IOException {
        write(lib.resolve("getty@.service"), "[Unit]\nDescription=Getty on %I\n[Service]\nExecStart=/sbin/agetty %i\n");
        Unit u = loaded("getty@tty1.service");
        assertEquals("getty@tty1.service", u.name().toString());
        assertEquals("Getty on tty1", description(u));
        assertEquals(lib.resolve("getty@.service"), u.file().fragment());
        assertEquals(List.of("/sbin/agetty", "tty1"), u.service().orElseThrow()
                .commands(ServiceSection.ExecKind.START).getFirst().expandArguments(java.util.Map.of()));
    }

    @Test
    void anInstanceFileOfItsOwnBeatsTheTemplate() throws IOException {
        write(lib.resolve("getty@.service"), "[Unit]\nDescription=template\n[Service]\nExecStart=/bin/true\n");
        write(lib.resolve("getty@tty9.service"), "[Unit]\nDescription=own\n[Service]\nExecStart=/bin/true\n");
        assertEquals("own", description(loaded("getty@tty9.service")));
        assertEquals("template", description(loaded("getty@tty1.service")));
    }

    @Test
    void dropInsApplyInFileNameOrderAcrossDirectories() throws IOException {
        write(lib.resolve("a.service"), "[Service]\nExecStart=/bin/a\nEnvironment=ORDER=unit\n");
        write(lib.resolve("a.service.d/20-lib.conf"), "[Service]\nEnvironment=ORDER=20 L=lib\n");
        write(etc.resolve("a.service.d/10-etc.conf"), "[Service]\nEnvironment=ORDER=10 E=etc\n");
        write(run.resolve("a.service.d/30-run.conf"), "[Service]\nEnvironment=ORDER=30\n");
        write(lib.resolve("a.service.d/ignored.txt"), "[Service]\nEnvironment=ORDER=txt\n");
        Unit u = loaded("a.service");
        assertEquals(List.of(etc.resolve("a.service.d/10-etc.conf"), lib.resolve("a.service.d/20-lib.conf"),
                run.resolve("a.service.d/30-run.conf")), u.file().dropIns());
        assertEquals(java.util.Map.of("ORDER", "30", "E", "etc", "L", "lib"),
                u.service().orElseThrow().exec().environment());
    }

    @Test
    void aDropInInAHigherDirectoryReplacesOneOfTheSameName() throws IOException {
        write(lib.resolve("a.service"), "[Service]\nExecStart=/bin/a\n");
        write(lib.resolve("a.service.d/override.conf"), "[Service]\nUser=lib\n");
        write(etc.resolve("a.service.d/override.conf"), "[Service]\nUser=etc\n");
        Unit u = loaded("a.service");
        assertEquals(List.of(etc.resolve("a.service.d/override.conf")), u.file().dropIns());
        assertEquals("etc", u.service().orElseThrow().exec().user().orElseThrow());
    }

    @Test
    void templateDashPrefixAndTypeWideDropIns() throws IOException {
        write(lib.resolve("foo-bar-baz@.service"), "[Service]\nExecStart=/bin/x\n");
        write(lib.resolve("foo-bar-baz@x.service.d/1.conf"), "[Unit]\nDescription=instance\n");
        write(lib.resolve("foo-bar-baz@.service.d/2.conf"), "[Unit]\nDocumentation=man:template\n");
        write(lib.resolve("foo-bar-.service.d/3.conf"), "[Unit]\nDocumentation=man:dash2\n");
        write(lib.resolve("foo-.service.d/4.conf"), "[Unit]\nDocumentation=man:dash1\n");
        write(lib.resolve("service.d/5.conf"), "[Unit]\nDocumentation=man:all\n");
        write(lib.resolve("socket.d/6.conf"), "[Unit]\nDocumentation=man:sockets\n");
        // The same name in a more specific directory wins over the template's and the type-wide one.
        write(lib.resolve("foo-bar-baz@x.service.d/5.conf"), "[Unit]\nDocumentation=man:specific\n");
        Unit u = loaded("foo-bar-baz@x.service");
        assertEquals(List.of("man:template", "man:dash2", "man:dash1", "man:specific"), u.unit().documentation());
        assertEquals("instance", description(u));
    }

    @Test
    void emptyAssignmentInADropInResetsAList() throws IOException {
        write(lib.resolve("a.service"), "[Service]\nExecStart=/bin/old\nExecStartPre=/bin/pre\n");
        write(etc.resolve("a.service.d/override.conf"), "[Service]\nExecStart=\nExecStart=/bin/new\n");
        ServiceSection s = loaded("a.service").service().orElseThrow();
        assertEquals(List.of("/bin/new"), s.commands(ServiceSection.ExecKind.START).stream()
                .map(ExecCommand::executable).toList());
        assertEquals(1, s.commands(ServiceSection.ExecKind.START_PRE).size());
    }

    @Test
    void symlinkToDevNullMasksEvenALowerPriorityFile() throws IOException {
        write(lib.resolve("a.service"), "[Service]\nExecStart=/bin/a\n");
        Files.createSymbolicLink(etc.resolve("a.service"), Path.of("/dev/null"));
        UnitResult r = loader().load("a.service");
        assertEquals(etc.resolve("a.service"), assertInstanceOf(UnitResult.Masked.class, r).path());
    }

    @Test
    void emptyFileAndMaskedTemplateMaskToo() throws IOException {
        write(lib.resolve("empty.service"), "");
        assertInstanceOf(UnitResult.Masked.class, loader().load("empty.service"));
        write(lib.resolve("t@.service"), "[Service]\nExecStart=/bin/t\n");
        Files.createSymbolicLink(etc.resolve("t@.service"), Path.of("/dev/null"));
        assertInstanceOf(UnitResult.Masked.class, loader().load("t@x.service"));
    }

    @Test
    void aliasSymlinkLoadsTheTargetWithItsDropIns() throws IOException {
        write(lib.resolve("real.service"), "[Service]\nExecStart=/bin/real\n");
        Files.createSymbolicLink(etc.resolve("nick.service"), Path.of("../lib/real.service"));
        write(etc.resolve("nick.service.d/x.conf"), "[Unit]\nDescription=via alias\n");
        Unit u = loaded("nick.service");
        assertEquals("real.service", u.name().toString());
        assertEquals(List.of("nick.service"), u.file().aliases());
        assertEquals("via alias", description(u));
        assertEquals(List.of("nick.service"), loaded("real.service").file().aliases());
        assertTrue(loader().isAlias("nick.service"));
    }

    @Test
    void templateAliasCarriesTheInstance() throws IOException {
        write(lib.resolve("getty@.service"), "[Service]\nExecStart=/sbin/agetty %I\n");
        Files.createSymbolicLink(lib.resolve("autovt@.service"), Path.of("getty@.service"));
        Unit u = loaded("autovt@tty2.service");
        assertEquals("getty@tty2.service", u.name().toString());
        assertEquals(List.of("autovt@tty2.service"), u.file().aliases());
    }

    @Test
    void symlinkOutsideTheSearchPathIsALinkedUnitFile() throws IOException {
        Path elsewhere = write(root.resolve("opt/app.service"), "[Service]\nExecStart=/opt/app\n");
        Files.createSymbolicLink(etc.resolve("app.service"), elsewhere);
        Unit u = loaded("app.service");
        assertEquals("app.service", u.name().toString());
        assertEquals(List.of(), u.file().aliases());
    }

    @Test
    void wantsAndRequiresDirectoriesAddDependencies() throws IOException {
        write(lib.resolve("multi-user.target"), "[Unit]\nWants=a.service\n");
        write(lib.resolve("multi-user.target.wants/b.service"), "");
        Files.createDirectories(etc.resolve("multi-user.target.wants"));
        Files.createSymbolicLink(etc.resolve("multi-user.target.wants/c.service"), Path.of("/lib/c.service"));
        write(lib.resolve("multi-user.target.requires/d.service"), "");
        write(lib.resolve("multi-user.target.wants/not-a-unit.txt"), "");
        UnitSection u = loaded("multi-user.target").unit();
        assertEquals(List.of("a.service", "b.service", "c.service"), u.dependencies(Dependency.WANTS));
        assertEquals(List.of("d.service"), u.dependencies(Dependency.REQUIRES));
    }

    @Test
    void aTemplateInTheWantsOfAnInstanceIsInstantiated() throws IOException {
        write(lib.resolve("user@.service"), "[Service]\nExecStart=/bin/u\n");
        write(lib.resolve("user@.service.wants/helper@.service"), "");
        assertEquals(List.of("helper@1000.service"), loaded("user@1000.service").unit()
                .dependencies(Dependency.WANTS));
    }

    @Test
    void missingAndInvalidNames() throws IOException {
        assertInstanceOf(UnitResult.NotFound.class, loader().load("nope.service"));
        assertInstanceOf(UnitResult.NotFound.class, loader().load("bad name.service"));
        assertInstanceOf(UnitResult.NotFound.class, loader().load("x.unknowntype"));
    }

    @Test
    void locateFindsFilesWithoutParsingThem() throws IOException {
        write(lib.resolve("a.service"), "this is not a unit file at all\n");
        write(lib.resolve("a.service.d/x.conf"), "");
        UnitLoader.Location l = loader().locate("a.service");
        assertEquals(lib.resolve("a.service"), l.fragment().orElseThrow());
        assertEquals(List.of(lib.resolve("a.service.d/x.conf")), l.dropIns());
    }

    @Test
    void anInstanceLinkedToItsTemplateLoadsAsThatInstance() throws IOException {
        Path dir = Files.createDirectories(root.resolve("inst"));
        Files.writeString(dir.resolve("echo@.service"), "[Service]\nExecStart=/bin/echo %i\n");
        Files.createSymbolicLink(dir.resolve("echo@one.service"), Path.of("echo@.service"));
        UnitResult r = UnitLoader.scan(List.of(dir), TestHosts.system()).load("echo@one.service");
        Unit unit = assertInstanceOf(UnitResult.Loaded.class, r, () -> "got " + r).unit();
        assertEquals("echo@one.service", unit.name().toString());
        assertEquals(dir.resolve("echo@.service"), unit.file().fragment());
    }

    /** A valid unit padded with comment lines to {@code size} bytes. */
    private static String unitOfSize(int size) {
        String head = "[Service]\nExecStart=/bin/true\n";
        String line = "#" + "x".repeat(98) + "\n";
        var text = new StringBuilder(head);
        while (text.length() + line.length() <= size) text.append(line);
        text.append("#".repeat(size - text.length() - 1)).append('\n');
        return text.toString();
    }

    @Test
    void aUnitFileOfOneMebibyteLoads() throws IOException {
        write(etc.resolve("big.service"), unitOfSize(UnitLoader.MAX_FILE_SIZE));
        assertEquals(UnitLoader.MAX_FILE_SIZE, Files.size(etc.resolve("big.service")));
        loaded("big.service");
    }

    @Test
    void aLargerUnitFileFailsWithTheFileAndTheLimit() throws IOException {
        Path file = write(etc.resolve("big.service"), unitOfSize(2 * UnitLoader.MAX_FILE_SIZE));
        UnitResult r = loader().load("big.service");
        UnitResult.Failed failed = assertInstanceOf(UnitResult.Failed.class, r, () -> "got " + r);
        assertEquals(List.of(file + ": too large: 2097152 bytes, where a unit file may have 1048576 bytes (1 MiB) "
                + "at most"), failed.diagnostics().stream().map(Diagnostic::format).toList());
    }

    @Test
    void aLargerDropInFailsTheUnitWithTheDropInNamed() throws IOException {
        write(etc.resolve("a.service"), "[Service]\nExecStart=/bin/true\n");
        Path dropIn = write(etc.resolve("a.service.d/big.conf"), unitOfSize(UnitLoader.MAX_FILE_SIZE + 1));
        UnitResult r = loader().load("a.service");
        assertInstanceOf(UnitResult.Failed.class, r, () -> "got " + r);
        assertTrue(r.diagnostics().stream().map(Diagnostic::format)
                        .anyMatch(d -> d.equals(dropIn + ": too large: 1048577 bytes, where a unit file may have "
                                + "1048576 bytes (1 MiB) at most")), () -> "got " + r.diagnostics());
    }

    /** A link to /dev/zero would be read for ever (until the heap is gone). */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aUnitThatIsNotARegularFileIsRefusedUnread() throws IOException {
        Files.createSymbolicLink(etc.resolve("zero.service"), Path.of("/dev/zero"));
        UnitResult r = loader().load("zero.service");
        UnitResult.Failed failed = assertInstanceOf(UnitResult.Failed.class, r, () -> "got " + r);
        assertEquals(List.of(etc.resolve("zero.service") + ": cannot read: not a regular file"),
                failed.diagnostics().stream().map(Diagnostic::format).toList());
    }

    @Test
    void aDropInLinkedToDevNullSaysNothing() throws IOException {
        write(etc.resolve("a.service"), "[Unit]\nDescription=kept\n[Service]\nExecStart=/bin/true\n");
        Files.createDirectories(etc.resolve("a.service.d"));
        Files.createSymbolicLink(etc.resolve("a.service.d/masked.conf"), Path.of("/dev/null"));
        assertEquals("kept", description(loaded("a.service")));
    }
}
