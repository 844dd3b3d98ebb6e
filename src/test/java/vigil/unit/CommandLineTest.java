package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommandLineTest {
    private static final Specifiers SP = new Specifiers(UnitName.parse("web@8080.service").orElseThrow(),
            Optional.of(Path.of("/etc/systemd/system/web@.service")), TestHosts.system());

    private static ExecCommand one(String line) throws InvalidValueException {
        List<ExecCommand> commands = CommandLine.parse(line, SP);
        assertEquals(1, commands.size(), () -> "commands: " + commands);
        return commands.getFirst();
    }

    private static List<String> argv(String line, Map<String, String> env) throws InvalidValueException {
        return one(line).expandArguments(env);
    }

    @Test
    void plainCommand() throws InvalidValueException {
        ExecCommand c = one("/usr/bin/web --port %i");
        assertEquals("/usr/bin/web", c.executable());
        assertEquals(List.of("/usr/bin/web", "--port", "8080"), c.expandArguments(Map.of()));
        assertFalse(c.ignoreFailure());
        assertTrue(c.expandVariables());
        assertEquals(ExecCommand.Privileges.DEFAULT, c.privileges());
    }

    @Test
    void quotingAndEscapes() throws InvalidValueException {
        assertEquals(List.of("/bin/sh", "-c", "echo 'hi there'\n", "a\tb", "\\u"),
                argv("/bin/sh -c \"echo 'hi there'\\n\" a\\tb '\\\\u'", Map.of()));
    }

    @Test
    void prefixes() throws InvalidValueException {
        ExecCommand c = one("-@:/bin/x argv0 $HOME");
        assertTrue(c.ignoreFailure());
        assertFalse(c.expandVariables());
        assertEquals("/bin/x", c.executable());
        assertEquals(List.of("argv0", "$HOME"), c.expandArguments(Map.of("HOME", "/root")));

        assertEquals(ExecCommand.Privileges.FULL, one("+/bin/x").privileges());
        assertEquals(ExecCommand.Privileges.NO_SETUID, one("!/bin/x").privileges());
        assertEquals(ExecCommand.Privileges.AMBIENT_FALLBACK, one("!!/bin/x").privileges());
        assertEquals(ExecCommand.Privileges.FULL, one("-+/bin/x").privileges());
        assertTrue(one("+-/bin/x").ignoreFailure());
    }

    @Test
    void conflictingPrefixesLeaveAnInvalidExecutable() {
        assertThrows(InvalidValueException.class, () -> one("+!/bin/x"));
        assertThrows(InvalidValueException.class, () -> one("--/bin/x"));
    }

    @Test
    void semicolonSeparatesCommandsAndEscapedSemicolonIsAnArgument() throws InvalidValueException {
        List<ExecCommand> commands = CommandLine.parse("/bin/a 1 ; /bin/b \\; 2 ;", SP);
        assertEquals(2, commands.size());
        assertEquals(List.of("/bin/a", "1"), commands.get(0).expandArguments(Map.of()));
        assertEquals(List.of("/bin/b", ";", "2"), commands.get(1).expandArguments(Map.of()));
        assertEquals(List.of("/bin/a", "x;y"), argv("/bin/a x;y", Map.of()));
    }

    @Test
    void variablesAreKeptForTheRuntime() throws InvalidValueException {
        ExecCommand c = one("/bin/run $OPTS ${ONE} --x=${ONE}/y $$HOME $UNSET a$NOPE");
        assertEquals(List.of("OPTS", "ONE", "ONE", "UNSET"), c.variables());
        assertEquals(List.of("/bin/run", "-a", "b c", "1 2", "--x=1 2/y", "$HOME", "a$NOPE"),
                c.expandArguments(Map.of("OPTS", " -a  'b c' ", "ONE", "1 2")));
        assertEquals(new ExecCommand.SplitVariable("OPTS"), c.argv().get(1));
    }

    @Test
    void bareNamesAreAllowed() throws InvalidValueException {
        assertEquals("systemctl", one("systemctl --no-block start x").executable());
    }

    @Test
    void invalidCommandsAreErrors() {
        assertThrows(InvalidValueException.class, () -> one("bin/x"));
        assertThrows(InvalidValueException.class, () -> one("/bin/"));
        assertThrows(InvalidValueException.class, () -> one("-"));
        assertThrows(InvalidValueException.class, () -> one("@/bin/x"));
        assertThrows(InvalidValueException.class, () -> one("/bin/x 'open"));
        assertThrows(InvalidValueException.class, () -> one("/bin/x %z"));
    }

    @Test
    void displayShowsPrefixes() throws InvalidValueException {
        assertEquals("-/bin/x a ${B}", one("-/bin/x a ${B}").display());
        assertEquals("@/bin/x zero one", one("@/bin/x zero one").display());
    }
}
