package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;

/** Units started in dependency order by a real daemon, each once what it is ordered after is ready, and stopped in reverse. */
class DependenciesIT {
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

    private List<String> events() {
        Path f = sandbox.resolve("events");
        try {
            return Files.exists(f) ? Files.readAllLines(f) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void whatRequiresANotifyUnitStartsOnceItIsReadyAndStopsBeforeIt() throws Exception {
        // db takes a while to be ready; app, listed first, records whether db had said so when it started. db
        // records when it is told to stop, app once it has stopped.
        Files.writeString(sandbox.resolve("app.sh"), """
                if test -e db.ready; then echo "app started after db was ready"
                else echo "app started before db was ready"; fi >> events
                exec sleep 1000
                """);
        Files.writeString(sandbox.resolve("db.sh"), """
                trap 'echo "db told to stop" >> events; exit 0' TERM
                sleep 1
                touch db.ready
                systemd-notify --ready
                sleep 1001 & wait
                """);
        unit("app.service", """
                [Unit]
                Requires=db.service
                After=db.service
                [Service]
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh app.sh
                ExecStopPost=/bin/sh -c 'echo "app stopped" >> events'
                """);
        Path units = unit("db.service", """
                [Service]
                Type=notify
                NotifyAccess=all
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh db.sh
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("app.service: running", WAIT);
        Await.until("app records its start", WAIT, () -> !events().isEmpty());
        assertEquals(List.of("app started after db was ready"), events());

        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(List.of("app started after db was ready", "app stopped", "db told to stop"), events());
    }
}
