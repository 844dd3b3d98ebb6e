package vigil.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * Debian's own socket units, unchanged but for a drop-in that moves their address to loopback or the test's
 * directory: the services are the real sshd and dbus-daemon, activated by Vigil.
 */
class DebianSocketUnitsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path units() throws IOException {
        return Files.createDirectories(sandbox.resolve("units"));
    }

    private void copy(String name) throws IOException {
        Files.copy(Path.of("/lib/systemd/system", name), units().resolve(name));
    }

    private void dropIn(String unit, String text) throws IOException {
        Path dir = Files.createDirectories(units().resolve(unit + ".d"));
        Files.writeString(dir.resolve("test.conf"), text);
    }

    @Test
    void sshSocketWithAcceptYesRunsSshdPerConnectionWhichRefusesTheKey() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/sshd")), "sshd is not installed (openssh-server)");
        Path ssh = Tools.require("ssh", "openssh-client");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        copy("ssh.socket");
        // Debian's ssh.socket has Accept=no since bookworm, with no ssh@.service: this is the per-connection unit
        // Debian shipped until then (openssh 1:8.4p1-5), for sshd -i.
        Files.writeString(units().resolve("ssh@.service"), """
                [Unit]
                Description=OpenBSD Secure Shell server per-connection daemon
                Documentation=man:sshd(8) man:sshd_config(5)
                After=auditd.service

                [Service]
                EnvironmentFile=-/etc/default/ssh
                ExecStart=-/usr/sbin/sshd -i $SSHD_OPTS
                StandardInput=socket
                RuntimeDirectory=sshd
                RuntimeDirectoryMode=0755
                """);
        dropIn("ssh.socket", "[Socket]\nListenStream=\nListenStream=127.0.0.1:" + port + "\nAccept=yes\n");
        Path key = sandbox.resolve("id_ed25519");
        assertEquals(0, Tools.run(sandbox, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .exit());
        // sshd -i needs its privilege-separation directory /run/sshd (the unit's RuntimeDirectory=): the daemon
        // runs in a mount namespace of its own with a tmpfs on /run, so the test makes and removes nothing in the
        // machine's /run.
        assumeTrue(Tools.run(sandbox, "unshare", "--mount", "true").exit() == 0, "cannot make a mount namespace");
        daemon = DaemonProcess.start(sandbox, Map.of(), List.of("unshare", "--mount", "--propagation", "private",
                "sh", "-c", "mount -t tmpfs -o mode=0755 vigil-test /run && exec \"$@\"", "sh"),
                "daemon", "--units", units().toString());
        daemon.awaitLine("ssh.socket: listening on 127.0.0.1:" + port, WAIT);
        Tools.Result r = Tools.run(sandbox, Map.of(), "", List.of(ssh.toString(), "-F", "/dev/null", "-o",
                "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                "IdentitiesOnly=yes", "-o", "ConnectTimeout=20", "-i", key.toString(), "-p", Integer.toString(port),
                "nobody@127.0.0.1", "true"));
        assertEquals(255, r.exit(), r.output());
        assertTrue(r.output().contains("Permission denied (publickey"), r.output());
        daemon.awaitLine("ssh@0-127\\.0\\.0\\.1:" + port + "-127\\.0\\.0\\.1:\\d+\\.service: started .*sshd -i",
                WAIT);
    }

    @Test
    void dbusSocketActivatesTheSystemBusWhichAnswers() throws Exception {
        Tools.require("dbus-daemon", "dbus");
        Path send = Tools.require("dbus-send", "dbus");
        // dbus-daemon drops to messagebus before it sends READY=1: the notify socket in the sandbox must be in
        // reach (JUnit makes the temporary directory 0700).
        Files.setPosixFilePermissions(sandbox, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bus = sandbox.resolve("dbus/system_bus_socket");
        copy("dbus.socket");
        copy("dbus.service");
        dropIn("dbus.socket", "[Socket]\nListenStream=\nListenStream=" + bus + "\n");
        // OOMScoreAdjust=-900 needs CAP_SYS_RESOURCE, which a container's root may lack (the start then fails with
        // "oom -900: Permission denied", as systemd's would): the test leaves the score as it is.
        dropIn("dbus.service", "[Service]\nOOMScoreAdjust=\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units().toString());
        daemon.awaitLine("dbus.socket: listening on " + bus, WAIT);
        Tools.Result r = Tools.run(sandbox, Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + bus), "",
                List.of(send.toString(), "--system", "--print-reply", "--reply-timeout=20000",
                        "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.GetId"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().matches("(?s).*string \"[0-9a-f]{32}\".*"), r.output());
        daemon.awaitLine("dbus.service: ready", WAIT);
    }
}
