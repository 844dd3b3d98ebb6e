package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * #18's Type=dbus: Debian's dbus-daemon on a bus of the test's own, and a unit whose python3-dbus script takes its
 * BusName= only when the test says so. The unit is activating until then, active after, and stops cleanly; when
 * the bus itself is restarted, the daemon reconnects and a new start is ready on the name again.
 */
class BusNameReadinessIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NAME = "org.vigil.BusNameTest";

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path control() {
        return sandbox.resolve("run/control");
    }

    private Tools.Result vigil(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        try {
            return Tools.run(sandbox, Map.of("VIGIL_CONTROL", control().toString()), null, command);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private String state(String unit) {
        return vigil("is-active", unit).output().strip();
    }

    @Test
    void aDbusUnitIsActiveOnceItsNameIsOwnedAndNotBefore() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dbus-daemon")), "dbus-daemon is not installed (dbus)");
        assumeTrue(Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/dbus")),
                "python3-dbus is not installed");
        Path bus = sandbox.resolve("bus");
        Path go = sandbox.resolve("go");
        Files.writeString(sandbox.resolve("bus.conf"), """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>system</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow own="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                  </policy>
                </busconfig>
                """.formatted(bus));
        // Takes the name once the test creates `go`: python3-dbus (Debian's), no main loop needed to own a name.
        Files.writeString(sandbox.resolve("owner.py"), """
                import os, signal, sys, time, dbus
                bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
                while not os.path.exists(sys.argv[1]):
                    time.sleep(0.05)
                bus.request_name("%s", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
                signal.pause()
                """.formatted(NAME));
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(units.resolve("testbus.service"), """
                [Service]
                ExecStart=/usr/bin/dbus-daemon --config-file=%s --nofork --nopidfile
                ExecStartPost=/bin/sh -c 'while [ ! -S %s ]; do sleep 0.05; done'
                """.formatted(sandbox.resolve("bus.conf"), bus));
        Files.writeString(units.resolve("owner.service"), """
                [Unit]
                Requires=testbus.service
                After=testbus.service
                [Service]
                Type=dbus
                BusName=%s
                Environment=DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s
                ExecStart=/usr/bin/python3 %s %s
                """.formatted(NAME, bus, sandbox.resolve("owner.py"), go));
        Files.createDirectories(control().getParent());
        daemon = DaemonProcess.start(sandbox, Map.of("VIGIL_CONTROL", control().toString(),
                "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + bus), "daemon", "--units", units.toString());
        Await.until("the daemon's control socket", WAIT, () -> Files.exists(control()));

        assertEquals(0, vigil("start", "--no-block", "owner.service").exit());
        Await.until("testbus.service active (daemon said: " + daemon.lines() + ")", WAIT,
                () -> state("testbus.service").equals("active"));
        Await.until("owner.service running its script", WAIT,
                () -> daemon.lines().stream().anyMatch(l -> l.contains("owner.service") && l.contains("python3")));
        assertEquals("activating", state("owner.service"), "its name has no owner yet");

        Files.createFile(go);
        Await.until("owner.service active once " + NAME + " is owned (daemon said: " + daemon.lines() + ")", WAIT,
                () -> state("owner.service").equals("active"));
        daemon.awaitLine(".*owner.service.*ready: " + NAME.replace(".", "\\.") + " is on the bus.*", WAIT);

        assertEquals(0, vigil("stop", "owner.service").exit());
        assertEquals("inactive", state("owner.service"));

        // The bus goes away (its unit stopped) and comes back: the daemon reconnects and watches again.
        assertEquals(0, vigil("stop", "testbus.service").exit());
        daemon.awaitLine("the system bus at " + bus + " closed the connection|cannot watch the system bus", WAIT);
        assertEquals(0, vigil("start", "owner.service").exit(), "pulls the bus in again, and waits for the name");
        assertEquals("active", state("owner.service"));
        daemon.awaitLine("the system bus at " + bus + " is back", WAIT);
    }
}
