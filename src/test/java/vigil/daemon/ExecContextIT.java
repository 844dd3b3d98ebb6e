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

    /**
     * redis, dovecot, mariadb, tor and kresd ask for LimitNOFILE=65535 where the host's hard limit is lower and may
     * not be raised (no CAP_SYS_RESOURCE, as in a container); dbus and postgresql for an OOMScoreAdjust= below 0
     * there. systemd lowers the limit to the closest allowed and ignores the refused OOM score: so does Vigil, saying
     * each once.
     */
    @Test
    void aLimitAboveTheHardLimitIsLoweredAndARefusedOomScoreIgnored() throws Exception {
        long hard = openFilesHardLimit();
        assumeTrue(hard < 65535 && !mayLowerOomScore(), "the host lets Vigil raise its limits: nothing to lower");
        Path units = Files.createDirectories(sandbox.resolve("units"));
        Path out = sandbox.resolve("out");
        Files.writeString(units.resolve("big.service"), """
                [Service]
                Type=oneshot
                LimitNOFILE=65535:65535
                OOMScoreAdjust=-900
                StandardOutput=truncate:%s
                StandardError=truncate:%s
                ExecStart=/bin/sh -c 'ulimit -Sn; ulimit -Hn; cat /proc/self/oom_score_adj'
                """.formatted(out, sandbox.resolve("err")));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("big.service: (stopped|failed)", WAIT);
        String log = String.join("\n", daemon.lines());
        assertEquals(List.of(Long.toString(hard), Long.toString(hard), "0"), Files.readAllLines(out), log);
        assertEquals(List.of("vigil-exec: oom -900: Permission denied; ignored, as systemd ignores it (no privilege "
                + "to lower the score, as in a container)"), Files.readAllLines(sandbox.resolve("err")));
        daemon.awaitLine("big.service: stopped", WAIT);
        assertEquals(1, daemon.countLines("big.service: LimitNOFILE=65535:65535 is above the hard limit this host "
                + "allows \\(" + hard + "\\): lowered to " + hard + ":" + hard), log);
    }

    private static long openFilesHardLimit() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) return Long.parseLong(line.substring(25).trim().split("\\s+")[1]);
        }
        throw new AssertionError("no open files line in /proc/self/limits");
    }

    /** Whether this process may lower its OOM score (CAP_SYS_RESOURCE, bit 24 of CapEff). */
    private static boolean mayLowerOomScore() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) return (Long.parseLong(line.substring(7).trim(), 16) >> 24 & 1) == 1;
        }
        return false;
    }
}
