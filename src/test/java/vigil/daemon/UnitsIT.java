package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Procs;
import vigil.testing.ServiceDirs;
import vigil.testing.Tools;

/** systemd .service units run by a real daemon: each Type=, the exec list, restarts, sd_notify. */
class UnitsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Path unit(String name, String service) throws Exception {
        Path dir = Files.createDirectories(sandbox.resolve("units"));
        Files.writeString(dir.resolve(name), "[Service]\nWorkingDirectory=" + sandbox + "\n" + service);
        return dir;
    }

    private static int pidIn(String line) {
        Matcher m = Pattern.compile("pid (\\d+)").matcher(line);
        assertTrue(m.find(), line);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void eachTypeStartsAndAllStopOnTerm() throws Exception {
        unit("simple.service", "ExecStart=/bin/sleep 1000\n");
        unit("exec.service", "Type=exec\nExecStart=/bin/sleep 1001\n");
        unit("once.service", """
                Type=oneshot
                RemainAfterExit=yes
                ExecStart=/bin/sh -c 'echo one >> once.out'
                ExecStart=/bin/sh -c 'echo two >> once.out'
                ExecStop=/bin/sh -c 'echo stop >> once.out'
                """);
        unit("forking.service", """
                Type=forking
                PIDFile=%s/forking.pid
                ExecStart=/bin/sh -c 'sleep 1002 & echo $! > forking.pid'
                """.formatted(sandbox));
        Path units = unit("notify.service", """
                Type=notify
                ExecStart=/bin/sh -c 'systemd-notify --ready --status="all good"; exec sleep 1003'
                ExecStopPost=/bin/sh -c 'echo "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" > notify.result'
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("simple.service: running", WAIT);
        daemon.awaitLine("exec.service: running", WAIT);
        daemon.awaitLine("once.service: exited; remains active", WAIT);
        assertEquals("one\ntwo\n", Files.readString(sandbox.resolve("once.out")));
        int forked = pidIn(daemon.awaitLine("forking.service: main process is pid", WAIT));
        assertTrue(Procs.cmdline(forked).startsWith("sleep 1002"), Procs.cmdline(forked));
        daemon.awaitLine("forking.service: running", WAIT);
        daemon.awaitLine("notify.service: ready", WAIT);
        daemon.awaitLine("notify.service: running", WAIT);

        assertEquals(0, daemon.terminate(WAIT));
        assertFalse(ProcessHandle.of(forked).map(ProcessHandle::isAlive).orElse(false), "the forked daemon died");
        assertEquals("one\ntwo\nstop\n", Files.readString(sandbox.resolve("once.out")));
        assertEquals("success killed TERM\n", Files.readString(sandbox.resolve("notify.result")));
    }

    @Test
    void instancesLinkedToTheirTemplateRun() throws Exception {
        Path units = unit("echo@.service", "ExecStart=/bin/sh -c 'echo %i >> instances.out; exec sleep 1010'\n");
        Files.createSymbolicLink(units.resolve("echo@one.service"), Path.of("echo@.service"));
        Files.createSymbolicLink(units.resolve("echo@two.service"), Path.of("echo@.service"));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("echo@one.service: running", WAIT);
        daemon.awaitLine("echo@two.service: running", WAIT);
        Await.until("both instances", WAIT, () -> lines(sandbox.resolve("instances.out")).size() == 2);
        assertEquals(java.util.Set.of("one", "two"),
                java.util.Set.copyOf(Files.readAllLines(sandbox.resolve("instances.out"))));
        assertEquals(0, daemon.countLines("echo@.service"), "the template itself is not run");
    }

    @Test
    void restartOnFailureUntilTheStartLimit() throws Exception {
        Path units = unit("crash.service", """
                ExecStart=/bin/sh -c 'echo x >> crash.count; exit 3'
                Restart=on-failure
                RestartSec=100ms
                """);
        Files.writeString(units.resolve("crash.service"), "[Unit]\nStartLimitBurst=3\n"
                + Files.readString(units.resolve("crash.service")));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("crash.service: failed with result 'start-limit-hit'", WAIT);
        assertEquals(3, Files.readAllLines(sandbox.resolve("crash.count")).size());
        assertEquals(3, daemon.countLines("crash.service: main process exited 3, status=exit-code"));
    }

    @Test
    void aUnitsOutputGoesToItsLogAndItsStatusShowsTheLastLines() throws Exception {
        Path units = unit("chatty.service", """
                ExecStartPre=/bin/sh -c 'echo before the start'
                ExecStart=/bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; \\
                    echo on stderr >&2; exec sleep 1011'
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("chatty.service: running", WAIT);
        String status = Await.value("the last lines in vigil status", WAIT, () -> {
            try {
                String out = vigil("status", "chatty").output();
                return out.contains("on stderr") ? out : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(status.contains("line 12"), status);
        assertFalse(status.contains("line 2\n"), "only the last lines: " + status);
        assertFalse(status.contains("before the start"), "only the last lines: " + status);
        String all = vigil("logs", "chatty.service").output();
        assertTrue(all.contains("before the start") && all.contains("line 1\n"), all);
        assertEquals(0, daemon.countLines("line 1"), "not on Vigil's stderr: " + String.join("\n", daemon.lines()));
    }

    @Test
    void aControlProcessThatExitsDoesNotSplitTheMainProcesssUnfinishedLine() throws Exception {
        // Both write to the unit's log. The main process prints half a line and says so; ExecStartPost= waits for
        // that, then exits; only once Vigil has seen that exit (the unit is running) does the main process end it.
        Path units = unit("halves.service", """
                ExecStart=/bin/sh -c 'printf first-; touch printed; while [ ! -e go-on ]; do sleep 0.01; done; \
                    echo half; exec sleep 1013'
                ExecStartPost=/bin/sh -c 'while [ ! -e printed ]; do sleep 0.01; done'
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("halves.service: running", WAIT);
        Files.writeString(sandbox.resolve("go-on"), "");
        String log = Await.value("the end of the line in the unit's log", WAIT, () -> {
            try {
                String out = vigil("logs", "halves.service").output();
                return out.contains("half") ? out : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(log.lines().anyMatch(l -> l.endsWith("first-half")), log);
    }

    @Test
    void aUnitWhoseConditionDoesNotHoldIsSkippedUntilItDoes() throws Exception {
        Path flag = sandbox.resolve("flag");
        Path units = unit("cond.service", "ExecStart=/bin/sleep 1012\n");
        Files.writeString(units.resolve("cond.service"), "[Unit]\nConditionPathExists=" + flag + "\n"
                + Files.readString(units.resolve("cond.service")));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("cond.service: start condition not met: ConditionPathExists=" + flag, WAIT);
        assertTrue(vigil("status", "cond").output().contains("inactive (dead)"));
        Files.createFile(flag);
        assertEquals(0, vigil("start", "cond").exit());
        daemon.awaitLine("cond.service: running", WAIT);
    }

    @Test
    void unitFilesBesideServiceDirectoriesAreRunToo() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Files.writeString(root.resolve("beside.service"), "[Service]\nWorkingDirectory=" + sandbox
                + "\nExecStart=/bin/sleep 1004\n");
        ServiceDirs.service(root, "plain", "exec sleep 1003");
        daemon = DaemonProcess.daemon(sandbox, root);
        daemon.awaitLine("beside.service: running", WAIT);
        daemon.awaitLine("plain: started", WAIT);
        // One supervisor holds both, and its shutdown waits for both.
        assertEquals(0, daemon.terminate(WAIT));
        assertEquals(1, daemon.countLines("got TERM; stopping 1 services and 1 units"));
        assertEquals(1, daemon.countLines("beside.service: stopped"));
    }

    @Test
    void notifyAccessMainDropsOtherSendersAndTheStartTimesOut() throws Exception {
        // systemd-notify speaks for its parent: here the inner shell, which is not the main process.
        Path units = unit("strict.service", """
                Type=notify
                TimeoutStartSec=2
                TimeoutStopSec=2
                ExecStart=/bin/sh -c 'sh -c "systemd-notify --ready"; exec sleep 1005'
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("strict.service: notification from pid \\d+ dropped: its NotifyAccess= does not allow", WAIT);
        daemon.awaitLine("strict.service: start timed out", WAIT);
        daemon.awaitLine("strict.service: failed with result 'timeout'", WAIT);
        assertEquals(0, daemon.countLines("strict.service: ready"));
    }

    private Tools.Result vigil(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "vigil.cli.Main"));
        command.addAll(List.of(args));
        return Tools.run(sandbox, Map.of("VIGIL_CONTROL", sandbox.resolve("run/control").toString()), null, command);
    }

    @Test
    void statusReloadResetFailedAndDaemonReload() throws Exception {
        Path units = unit("web.service", """
                Type=notify
                ExecStart=/bin/sh -c 'trap "echo reloaded >> web.log" HUP; \
                systemd-notify --ready --status="serving 3 clients"; while :; do sleep 1; done'
                ExecReload=/bin/kill -HUP $MAINPID
                """);
        unit("bad.service", "ExecStart=/bin/false\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        int pid = pidIn(daemon.awaitLine("web.service: started .* \\(pid \\d+\\)", WAIT));
        daemon.awaitLine("web.service: running", WAIT);
        daemon.awaitLine("bad.service: failed with result 'exit-code'", WAIT);

        Tools.Result status = vigil("status", "web");
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.output().contains("Loaded:    from " + units.resolve("web.service")), status.output());
        assertTrue(status.output().contains("Active:    active (running)"), status.output());
        assertTrue(status.output().contains("Main PID:  " + pid), status.output());
        assertTrue(status.output().contains("Status:    \"serving 3 clients\""), status.output());
        Tools.Result bad = vigil("status", "bad.service");
        assertEquals(3, bad.exit(), bad.toString());
        assertTrue(bad.output().contains("failed (failed) (Result: exit-code)"), bad.output());
        assertTrue(bad.output().contains("Last exit: exited 1"), bad.output());

        assertEquals(0, vigil("reload", "web").exit());
        Await.until("the reload", WAIT, () -> Files.exists(sandbox.resolve("web.log")));
        assertEquals(0, vigil("reset-failed", "bad.service").exit());
        assertTrue(vigil("status", "bad").output().contains("inactive (dead)"));

        Files.writeString(units.resolve("web.service"), Files.readString(units.resolve("web.service"))
                .replace("serving 3 clients", "serving 4 clients"));
        unit("new.service", "ExecStart=/bin/sleep 1006\n");
        Files.delete(units.resolve("bad.service"));
        Tools.Result reload = vigil("daemon-reload");
        assertEquals(0, reload.exit(), reload.toString());
        assertTrue(reload.output().contains("1 added, 1 changed, 1 removed"), reload.output());
        daemon.awaitLine("new.service: running", WAIT);
        assertTrue(vigil("status", "web").output().contains("Main PID:  " + pid + "\n"),
                "a changed unit keeps running");
        assertEquals(4, vigil("status", "bad").exit(), "removed");
    }

    @Test
    void aUnitFileDroppedIntoAScannedTreeLaterIsLoadedWithNoReload() throws Exception {
        Path tree = Files.createDirectories(sandbox.resolve("tree"));
        Path plain = ServiceDirs.service(tree, "plain", "exec sleep 1007");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", tree.toString());
        ServiceDirs.awaitRunning(plain, WAIT);
        Tools.Result reload = vigil("daemon-reload");
        assertEquals(0, reload.exit(), "a scanned tree is a unit directory even with no unit in it yet: " + reload);

        Files.writeString(tree.resolve("late.service"), "[Service]\nExecStart=/bin/sleep 1008\n");
        daemon.awaitLine("late.service: running", WAIT);
        daemon.awaitLine("unit files changed: 1 added, 0 changed, 0 removed", WAIT);

        Files.delete(tree.resolve("late.service"));
        daemon.awaitLine("unit files changed: 0 added, 0 changed, 1 removed", WAIT);
        Await.until("late.service gone", WAIT, () -> {
            try {
                return vigil("status", "late").exit() == 4;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(vigil("status", "plain").output().contains("run"), "the directory's service is undisturbed");
    }

    @Test
    void aUnitFileBackWhileItsOldInstanceStopsStartsOnceThatOneHasStopped() throws Exception {
        // Its stop lasts until the test creates "release".
        String slow = """
                ExecStart=/bin/sh -c 'trap "while [ ! -e release ]; do sleep 0.05; done; exit 0" TERM; \
                echo started >> slow.out; while :; do sleep 0.1; done'
                """;
        Path units = unit("slow.service", slow);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString(), "--control",
                sandbox.resolve("run/control").toString());
        daemon.awaitLine("slow.service: running", WAIT);

        Files.delete(units.resolve("slow.service"));
        assertTrue(vigil("daemon-reload").output().contains("0 added, 0 changed, 1 removed"));
        unit("slow.service", slow);
        Tools.Result back = vigil("daemon-reload");
        assertTrue(back.output().contains("1 added, 0 changed, 0 removed"), back.toString());
        daemon.awaitLine("slow.service: starts once the instance removed before has stopped", WAIT);
        assertEquals(List.of("started"), lines(sandbox.resolve("slow.out")), "the old instance still stops");

        Files.createFile(sandbox.resolve("release"));
        Await.until("the new instance", WAIT, () -> lines(sandbox.resolve("slow.out")).size() == 2);
        Await.until("the new instance running", WAIT, () -> daemon.countLines("slow.service: running") == 2);
        Tools.Result status = vigil("status", "slow");
        assertTrue(status.output().contains("Active:    active (running)"), status.output());
    }

    @Test
    void aServiceDirectoryWithANotifyFileIsReadyOnReady() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path svc = ServiceDirs.service(root, "n", "[ -n \"$NOTIFY_SOCKET\" ] || exit 9\n"
                + "systemd-notify --ready --status=up\nexec sleep 1007");
        Files.createFile(svc.resolve("notify"));
        daemon = DaemonProcess.daemon(sandbox, root);
        int pid = pidIn(daemon.awaitLine("n: started \\(pid \\d+\\)", WAIT));
        daemon.awaitLine("n: ready", WAIT);
        // READY=1 comes before the exec: the same process then becomes sleep.
        Await.until("run to exec sleep", WAIT, () -> Procs.cmdline(pid).startsWith("sleep 1007"));
        assertEquals(0, daemon.countLines("n: exited 9"));
    }

    @Test
    void redisSupervisedBySystemdIsSeenReady() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "needs redis-server");
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path units = unit("redis.service", """
                Type=notify
                ExecStart=/usr/bin/redis-server --supervised systemd --port %d --bind 127.0.0.1 --save "" \
                --appendonly no --dir %s --daemonize no
                """.formatted(port, sandbox));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString(), "--control",
                sandbox.resolve("run/control").toString());
        daemon.awaitLine("redis.service: ready", WAIT);
        daemon.awaitLine("redis.service: running", WAIT);
        Tools.Result status = vigil("status", "redis");
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().contains("Status:    \"Ready to accept connections"), status.output());
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write("PING\r\n".getBytes());
            assertEquals("+PONG", new java.io.BufferedReader(new java.io.InputStreamReader(
                    socket.getInputStream())).readLine());
        }
        assertEquals(0, daemon.terminate(WAIT));
        daemon.awaitLine("redis.service: (stopped|failed)", WAIT);
    }

    @Test
    void aWatchdogThatIsNotPingedAbortsAndRestarts() throws Exception {
        Path units = unit("dog.service", """
                Type=notify
                WatchdogSec=1
                Restart=on-watchdog
                RestartSec=100ms
                ExecStart=/bin/sh -c 'echo "$WATCHDOG_USEC $WATCHDOG_PID $$$$" >> dog.env; \
                systemd-notify --ready; exec sleep 1008'
                """);
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("dog.service: ready", WAIT);
        daemon.awaitLine("dog.service: watchdog timeout", WAIT);
        daemon.awaitLine("dog.service: sent SIGABRT", WAIT);
        daemon.awaitLine("dog.service: failed with result 'watchdog'", WAIT);
        daemon.awaitLine("dog.service: scheduled restart", WAIT);
        Await.until("the second start", WAIT, () -> daemon.countLines("dog.service: ready") >= 2);
        String[] first = Files.readAllLines(sandbox.resolve("dog.env")).getFirst().split(" ");
        assertEquals("1000000", first[0]);
        assertEquals(first[2], first[1], "WATCHDOG_PID is the main process's own pid ($$ is systemd's $)");
    }

    @Test
    void postgresqlIsSeenReady() throws Exception {
        Path bin = Path.of("/usr/lib/postgresql/15/bin");
        assumeTrue(Files.isExecutable(bin.resolve("postgres")), "needs postgresql-15");
        assumeTrue("root".equals(System.getProperty("user.name")), "postgres refuses root: needs root to be 65534");
        Files.setPosixFilePermissions(sandbox, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = Files.createDirectories(sandbox.resolve("pg"));
        Files.setAttribute(home, "unix:uid", 65534);
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path units = unit("pg.service", """
                Type=notify
                User=65534
                Group=65534
                WorkingDirectory=%1$s
                Environment=LANG=C
                TimeoutStartSec=60
                ExecStartPre=%2$s/initdb -D %1$s/data -A trust -U postgres
                ExecStart=%2$s/postgres -D %1$s/data -k %1$s -h 127.0.0.1 -p %3$d
                KillMode=mixed
                KillSignal=SIGINT
                """.formatted(home, bin, port));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString(), "--control",
                sandbox.resolve("run/control").toString());
        daemon.awaitLine("pg.service: ready", Duration.ofSeconds(90));
        daemon.awaitLine("pg.service: running", WAIT);
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            assertTrue(socket.isConnected());
        }
        assertEquals(0, daemon.terminate(WAIT));
        daemon.awaitLine("pg.service: (stopped|failed)", WAIT);
    }

    @Test
    void startStopAndRestartWaitForTheJob() throws Exception {
        Path units = unit("slow.service", """
                Type=notify
                ExecStart=/bin/sh -c 'sleep 0.5; systemd-notify --ready; exec sleep 1009'
                """);
        unit("fails.service", "Type=notify\nExecStart=/bin/sh -c 'exit 4'\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("slow.service: running", WAIT);
        daemon.awaitLine("fails.service: failed", WAIT);
        var events = new vigil.testing.RawControl(sandbox.resolve("run/control"));
        assertEquals(true, events.call("{\"v\":1,\"cmd\":\"subscribe\",\"names\":[\"slow\"]}").get("ok"));

        Tools.Result stop = vigil("stop", "slow");
        assertEquals(0, stop.exit(), stop.output());
        assertTrue(stop.output().contains("slow.service: inactive"), stop.output());
        List<Object> states = new ArrayList<>();
        List<Object> jobEvents = new ArrayList<>();
        for (int i = 0; i < 20 && !states.contains("inactive"); i++) {
            Map<String, Object> event = events.readJson();
            // The stream also carries the stop job's own events (job-queued, job-started, job-finished).
            if (String.valueOf(event.get("event")).startsWith("job-")) {
                jobEvents.add(event.get("event"));
                continue;
            }
            assertEquals("unit", event.get("event"));
            assertEquals("slow.service", event.get("service"));
            states.add(event.get("state"));
        }
        assertTrue(jobEvents.contains("job-queued"), jobEvents.toString());
        assertTrue(states.contains("deactivating") && states.getLast().equals("inactive"), states.toString());
        events.close();
        Tools.Result restart = vigil("restart", "slow");
        assertEquals(0, restart.exit(), restart.output());
        // Active, not activating: a Type=notify unit is active only after READY=1, so the reply came after it.
        assertTrue(restart.output().contains("slow.service: active (pid "), restart.output());
        // The daemon said so on its stderr before it replied, but the line may reach the test a moment later.
        Await.until("the second READY=1 in the daemon's output", WAIT,
                () -> daemon.countLines("slow.service: ready") >= 2);
        Tools.Result fails = vigil("start", "fails");
        assertEquals(1, fails.exit(), fails.output());
        assertTrue(fails.output().contains("fails.service: failed with result 'exit-code'"), fails.output());
    }

    @Test
    void anEditedEnvironmentFileIsSeenByTheNextRestartWithoutADaemonReload() throws Exception {
        Path defaults = sandbox.resolve("defaults");
        Path out = sandbox.resolve("env.out");
        Files.writeString(defaults, "GREETING=first\n");
        Path units = unit("env.service", """
                Environment=GREETING=from-the-unit OTHER=kept
                EnvironmentFile=%s
                EnvironmentFile=-%s/missing
                ExecStart=/bin/sh -c 'echo "$GREETING $OTHER" >> env.out; exec sleep 1013'
                """.formatted(defaults, sandbox));
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString());
        daemon.awaitLine("env.service: running", WAIT);
        Await.until("the first start's line", WAIT, () -> lines(out).size() == 1);

        Files.writeString(defaults, "GREETING=second\n");
        Tools.Result restart = vigil("restart", "env");
        assertEquals(0, restart.exit(), restart.output());
        Await.until("the restart's line", WAIT, () -> lines(out).size() == 2);
        assertEquals(List.of("first kept", "second kept"), lines(out));

        Files.delete(defaults);
        Tools.Result failed = vigil("restart", "env");
        assertEquals(1, failed.exit(), failed.output());
        assertTrue(failed.output().contains("env.service: failed with result 'resources'"), failed.output());
        daemon.awaitLine(Pattern.quote("env.service: cannot start: EnvironmentFile=" + defaults
                + ": No such file or directory"), WAIT);
        assertEquals(2, lines(out).size());
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A 10 MB unit of garbage: refused by its size, unread, with one line naming it and the limit. Reading it cost
     * the daemon 160 MB of heap it never gave back (210 MB RSS).
     */
    @Test
    void aHugeGarbageUnitIsRefusedUnreadAndCostsNoMemory() throws Exception {
        Path units = unit("ok.service", "ExecStart=/bin/sleep 1007\n");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--units", units.toString(),
                "--control", sandbox.resolve("run/control").toString());
        daemon.awaitLine("running 1 units", WAIT);
        long before = rssKiB(daemon.pid());
        var garbage = new StringBuilder();
        var random = new java.util.Random(11);
        while (garbage.length() < 10_000_000) {
            garbage.append(Long.toString(random.nextLong(), 36).repeat(1 + random.nextInt(8))).append('\n');
        }
        Files.writeString(units.resolve("garbage.service"), garbage);
        Tools.Result reload = vigil("daemon-reload");
        assertEquals(0, reload.exit(), reload.toString());
        assertTrue(reload.output().contains("0 added, 0 changed, 0 removed, 1 failed to load"), reload.output());
        long grown = rssKiB(daemon.pid()) - before;
        assertTrue(grown < 40 * 1024, "RSS grew by " + grown + " KiB");
        String said = daemon.awaitLine("garbage.service: .*too large", WAIT);
        assertTrue(said.contains(units.resolve("garbage.service") + ": too large: "), said);
        assertTrue(said.contains("1048576 bytes (1 MiB) at most"), said);
    }

    private static long rssKiB(long pid) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no VmRSS for " + pid);
    }
}
