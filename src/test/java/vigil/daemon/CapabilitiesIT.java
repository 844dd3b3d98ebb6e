package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.ServiceDirs;

/**
 * CapabilityBoundingSet=, AmbientCapabilities= and SecureBits= as the service's process sees them: kresd's case
 * (User= other than root, binding a port below 1024 with CAP_NET_BIND_SERVICE), the bounding set's lines merged as
 * systemd merges them, and noroot taking root's capabilities away.
 */
class CapabilitiesIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** CAP_NET_BIND_SERVICE. */
    private static final String NET_BIND = "0000000000000400";

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void aServiceUserGetsItsAmbientCapabilityAndBindsAPortBelow1024() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give capabilities");
        Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = freeLowPort();
        Path out = sandbox.resolve("out");
        List<String> lines = run("bind.service", """
                [Service]
                Type=oneshot
                User=nobody
                AmbientCapabilities=CAP_NET_BIND_SERVICE
                CapabilityBoundingSet=CAP_NET_BIND_SERVICE cap_chown CAP_KILL
                CapabilityBoundingSet=~CAP_CHOWN
                CapabilityBoundingSet=~kill
                StandardOutput=truncate:%s
                StandardError=journal
                ExecStart=/usr/bin/python3 -c 'import socket, os; s = socket.socket(); \\
                s.bind(("127.0.0.1", %d)); print("bound", os.getuid()); \\
                print(*[l.strip() for l in open("/proc/self/status") if l.startswith("Cap")], sep="\\\\n")'
                """.formatted(out, port), out);
        assertEquals(List.of("bound 65534", "CapInh:\t" + NET_BIND, "CapPrm:\t" + NET_BIND, "CapEff:\t" + NET_BIND,
                "CapBnd:\t" + NET_BIND, "CapAmb:\t" + NET_BIND), lines, String.join("\n", daemon.lines()));
    }

    @Test
    void noRootLeavesRootWithoutCapabilitiesAndAnEmptyBoundingSetLineResetsIt() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Path out = sandbox.resolve("out");
        List<String> lines = run("noroot.service", """
                [Service]
                Type=oneshot
                SecureBits=noroot
                SecureBits=noroot-locked
                CapabilityBoundingSet=CAP_SYS_ADMIN
                CapabilityBoundingSet=
                StandardOutput=truncate:%s
                ExecStart=/bin/grep -E '^Cap(Eff|Bnd)' /proc/self/status
                """.formatted(out), out);
        assertEquals(List.of("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000"), lines,
                String.join("\n", daemon.lines()));
    }

    @Test
    void aServiceDirectorysSandboxFileGivesItsRunTheSameSettings() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path out = sandbox.resolve("out");
        Path dir = ServiceDirs.service(root, "web", "grep -E '^Cap(Eff|Bnd)' /proc/self/status > " + out
                + ".tmp; mv " + out + ".tmp " + out + "; exec sleep 1000");
        Files.writeString(dir.resolve("sandbox"), """
                # as in a unit file
                CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_KILL
                CapabilityBoundingSet=~CAP_KILL
                NoNewPrivileges=yes
                """);
        daemon = DaemonProcess.daemon(sandbox, root);
        Await.until("the output", WAIT, () -> Files.exists(out));
        // Root keeps what is left of its bounding set: CAP_NET_BIND_SERVICE.
        assertEquals(List.of("CapEff:\t" + NET_BIND, "CapBnd:\t" + NET_BIND), Files.readAllLines(out),
                String.join("\n", daemon.lines()));
    }

    private List<String> run(String name, String unit, Path out) throws Exception {
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve(name), unit);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine(name + ": (stopped|failed)", WAIT);
        Await.until("the output", WAIT, () -> Files.exists(out));
        return Files.readAllLines(out);
    }

    /** A port below 1024 that nothing listens on now (this test runs as root, so it may bind one). */
    private static int freeLowPort() throws Exception {
        for (int port = 900; port < 1000; port++) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (java.io.IOException taken) {
                // try the next
            }
        }
        throw new AssertionError("no free port in 900..999");
    }
}
