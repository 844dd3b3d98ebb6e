package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** OnFailure=, isolate and RefuseManualStart= with a real daemon and real processes. */
class UnitSemanticsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path unit(String name, String text) throws Exception {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(dir.resolve(name), text.replace("@SANDBOX@", sandbox.toString()));
        return dir;
    }

    @Test
    void aFailingUnitStartsItsOnFailureUnit() throws Exception {
        unit("job.service", """
                [Unit]
                OnFailure=alert.service
                [Service]
                Type=oneshot
                ExecStart=/bin/sh -c 'exit 3'
                """);
        Path units = unit("alert.service", """
                [Unit]
                RefuseManualStart=yes
                [Service]
                Type=oneshot
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh -c 'echo alerted >> alerts'
                """);
        Files.writeString(sandbox.resolve("alerts"), "");
        // Nothing but the failure starts alert: the stand-in default.target wants every unit, so it is given one.
        unit("default.target", "[Unit]\nWants=job.service\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("job.service: failed; starting alert.service", WAIT);
        Await.until("alert runs", WAIT, () -> alerts().equals("alerted\n"));

        Tools.Result refused = vigil("start", "alert");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("alert.service may be started only as a dependency of another unit "
                + "(RefuseManualStart=yes)"), refused.output());
        assertEquals("alerted\n", alerts());
    }

    @Test
    void isolateStartsTheTargetAndStopsTheRestButIgnoreOnIsolate() throws Exception {
        unit("default.target", "[Unit]\nWants=web.service keeper.service\n");
        unit("rescue.target", "[Unit]\nAllowIsolate=yes\nWants=shell.service\n");
        unit("web.service", "[Service]\nExecStart=/bin/sleep 1020\n");
        unit("keeper.service", "[Unit]\nIgnoreOnIsolate=yes\n[Service]\nExecStart=/bin/sleep 1021\n");
        Path units = unit("shell.service", "[Service]\nExecStart=/bin/sleep 1022\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("web.service: running", WAIT);
        daemon.awaitLine("keeper.service: running", WAIT);

        Tools.Result notAllowed = vigil("isolate", "default");
        assertNotEquals(0, notAllowed.exit());
        assertTrue(notAllowed.output().contains("default.target: isolate refused: default.target may not be "
                + "isolated (it does not say AllowIsolate=yes)"), notAllowed.output());

        assertEquals(0, vigil("isolate", "rescue").exit());
        daemon.awaitLine("shell.service: running", WAIT);
        Await.until("web stops", WAIT, () -> status("web").contains("inactive (dead)"));
        assertTrue(status("keeper").contains("active (running)"), "IgnoreOnIsolate=yes");
        assertTrue(status("shell").contains("active (running)"));
    }

    @Test
    void aWantsDirectoryStartsATemplateInstanceAndNamesALinkThatPointsNowhere() throws Exception {
        Path units = unit("getty@.service", "[Service]\nExecStart=/bin/sleep 103%i\n");
        unit("default.target", "[Unit]\nDescription=no Wants= of its own\n");
        Path wants = Files.createDirectories(units.resolve("default.target.wants"));
        Files.createSymbolicLink(wants.resolve("getty@1.service"), Path.of("../getty@.service"));
        Files.createSymbolicLink(wants.resolve("ghost.service"), sandbox.resolve("nowhere/ghost.service"));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("getty@1.service: running", WAIT);
        daemon.awaitLine("default.target: .*default.target.wants/ghost.service.*a link pointing nowhere, to a unit "
                + ".ghost.service. in no unit directory", WAIT);
        daemon.awaitLine("default.target wants ghost.service, which is left out: default.target needs "
                + "ghost.service, which does not exist", WAIT);
        assertTrue(status("getty@1").contains("/bin/sleep 1031"), status("getty@1"));
    }

    private String alerts() {
        try {
            return Files.readString(sandbox.resolve("alerts"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String status(String name) {
        try {
            return vigil("status", name).output();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }
}
