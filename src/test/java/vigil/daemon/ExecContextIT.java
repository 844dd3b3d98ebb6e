package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;

/** A unit's exec context as its process sees it, run by root as uid 65534. */
class ExecContextIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void theChildSeesItsIdsGroupsLimitsUmaskDirectoryAndEnvironment() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to switch to uid 65534");
        Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path work = Files.createDirectories(sandbox.resolve("work"));
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(sandbox.resolve("env"), "FROM_FILE='a b'\nUNSET_ME=1\n");
        Path out = sandbox.resolve("out");
        Files.writeString(units.resolve("ctx.service"), """
                [Service]
                Type=oneshot
                User=65534
                Group=65534
                SupplementaryGroups=4 20
                WorkingDirectory=%s
                UMask=0027
                Nice=7
                LimitNOFILE=333:444
                LimitCORE=0
                NoNewPrivileges=yes
                Environment="GREETING=hello world" PLAIN=1
                EnvironmentFile=%s
                UnsetEnvironment=UNSET_ME
                PassEnvironment=PASSED
                StandardOutput=truncate:%s
                ExecStart=/bin/sh -c 'id -u; id -g; id -G; ulimit -n; ulimit -Hn; ulimit -c; umask; pwd; \\
                nice; grep NoNewPrivs /proc/self/status; \\
                echo "$GREETING|$PLAIN|$FROM_FILE|$UNSET_ME|$PASSED|$PATH|$USER|$HOME"'
                """.formatted(work, sandbox.resolve("env"), out));
        Map<String, String> env = new HashMap<>();
        env.put("PASSED", "through");
        daemon = DaemonProcess.start(sandbox, env, "daemon", "--units", units.toString());
        daemon.awaitLine("ctx.service: (stopped|failed)", WAIT);
        Await.until("the output", WAIT, () -> Files.exists(out));
        List<String> lines = Files.readAllLines(out);
        assertEquals(List.of("65534", "65534", "65534 4 20", "333", "444", "0", "0027", work.toString(), "7",
                "NoNewPrivs:\t1",
                "hello world|1|a b||through|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|nobody|"
                        + "/nonexistent"), lines, String.join("\n", daemon.lines()));
        daemon.awaitLine("ctx.service: stopped", WAIT);
    }
}
