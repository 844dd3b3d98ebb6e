package vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import vigil.model.ExecOptions;

class SandboxFileTest {
    @Test
    void readsTheCapabilitySettingsWithSystemdsSyntax() throws Exception {
        ExecOptions o = SandboxFile.parse("""
                # comment

                CapabilityBoundingSet=CAP_NET_BIND_SERVICE cap_kill
                CapabilityBoundingSet=~CAP_KILL
                AmbientCapabilities=CAP_NET_BIND_SERVICE
                SecureBits=noroot
                NoNewPrivileges=yes
                """, "sv/web/sandbox");
        assertEquals(new ExecOptions.CapabilitySets(1 << 10, 1 << 10, 1), o.capabilities());
        assertEquals(true, o.noNewPrivileges());
    }

    @Test
    void aBadLineNamesTheFileAndLine() {
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> SandboxFile.parse("NoNewPrivileges=yes\nProtectSystem=strict\n", "sv/web/sandbox"));
        assertEquals("sv/web/sandbox:2: unknown setting 'ProtectSystem' (known: CapabilityBoundingSet, "
                + "AmbientCapabilities, SecureBits, NoNewPrivileges)", unknown.getMessage());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> SandboxFile.parse("SecureBits=sticky\n", "sv/web/sandbox"));
        assertEquals("sv/web/sandbox:1: SecureBits=sticky: unknown secure bit 'sticky' (one of noroot, "
                + "noroot-locked, no-setuid-fixup, no-setuid-fixup-locked, keep-caps, keep-caps-locked)",
                bad.getMessage());
        assertThrows(ConfigException.class, () -> SandboxFile.parse("just words\n", "sv/web/sandbox"));
    }
}
