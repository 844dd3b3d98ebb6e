package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpecifiersTest {
    private static Specifiers of(String unit, Host host) {
        return new Specifiers(UnitName.parse(unit).orElseThrow(), Optional.of(Path.of("/lib/systemd/system/x.service")),
                host);
    }

    @Test
    void unitNameSpecifiersOfAnInstance() throws InvalidValueException {
        Specifiers sp = of("foo-bar@dev-sda1.service", TestHosts.system());
        assertEquals("foo-bar@dev-sda1.service|foo-bar@dev-sda1|foo-bar|foo/bar|dev-sda1|dev/sda1|/dev/sda1",
                sp.expand("%n|%N|%p|%P|%i|%I|%f"));
        assertEquals("bar|bar", sp.expand("%j|%J"));
    }

    @Test
    void unitNameSpecifiersOfAPlainUnit() throws InvalidValueException {
        Specifiers sp = of("dev-sda1.mount", TestHosts.system());
        assertEquals("dev-sda1|dev-sda1||/dev/sda1|sda1", sp.expand("%N|%p|%i|%f|%j"));
    }

    @Test
    void hexEscapesAreUnescaped() throws InvalidValueException {
        assertEquals("a b/c", of("x@a\\x20b-c.service", TestHosts.system()).expand("%I"));
    }

    @Test
    void systemManagerValues() throws InvalidValueException {
        Specifiers sp = of("a.service", TestHosts.system());
        assertEquals("root 0 root 0 /root /bin/sh", sp.expand("%u %U %g %G %h %s"));
        assertEquals("/run /var/lib /var/cache /var/log /etc", sp.expand("%t %S %C %L %E"));
        assertEquals("/scratch /scratch", sp.expand("%T %V"));
        assertEquals("box.example.org box 6.1.0-test x86-64 debian 12", sp.expand("%H %l %v %a %o %w"));
        assertEquals("0123456789abcdef0123456789abcdef", sp.expand("%m"));
        assertEquals("/run/credentials/a.service", sp.expand("%d"));
        assertEquals("/lib/systemd/system/x.service /lib/systemd/system", sp.expand("%y %Y"));
    }

    @Test
    void userManagerValuesFollowXdg() throws InvalidValueException {
        Specifiers sp = of("a.service", TestHosts.user(Map.of("XDG_RUNTIME_DIR", "/run/user/1000",
                "XDG_CONFIG_HOME", "/cfg")));
        assertEquals("alice 1000 staff 50 /home/alice", sp.expand("%u %U %g %G %h"));
        assertEquals("/run/user/1000 /home/alice/.local/state /home/alice/.cache /home/alice/.local/state/log /cfg",
                sp.expand("%t %S %C %L %E"));
        assertEquals("/tmp /var/tmp", sp.expand("%T %V"));
    }

    @Test
    void userManagerWithoutRuntimeDirectoryCannotExpandT() {
        assertEquals("XDG_RUNTIME_DIR is not set", assertThrows(InvalidValueException.class,
                () -> of("a.service", TestHosts.user(Map.of())).expand("%t/x")).getMessage());
    }

    @Test
    void percentPercentAndAStrayPercent() throws InvalidValueException {
        assertEquals("100% sure %", of("a.service", TestHosts.system()).expand("100%% sure %"));
    }

    @Test
    void unknownSpecifierIsAnError() {
        assertEquals("unknown specifier %z", assertThrows(InvalidValueException.class,
                () -> of("a.service", TestHosts.system()).expand("a%zb")).getMessage());
    }

    @Test
    void escapeAndUnescapeRoundTrip() {
        assertEquals("dev-disk-by\\x2dlabel-my\\x20disk", UnitName.escape("dev/disk/by-label/my disk"));
        assertEquals("dev/disk/by-label/my disk", UnitName.unescape("dev-disk-by\\x2dlabel-my\\x20disk"));
        assertEquals("\\x2ehidden", UnitName.escape(".hidden"));
    }
}
