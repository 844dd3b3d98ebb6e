package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.RawControl;
import vigil.testing.Tools;

/**
 * systemctl's commands against a real daemon with a dependency graph: list-units, list-dependencies, list-jobs,
 * show, is-active, is-failed, start/stop with their jobs, job events, and enable/disable, whose links are compared
 * with what systemctl itself makes.
 */
class UnitCommandsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

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

    private Path unit(String name, String text) throws IOException {
        return Files.writeString(units().resolve(name), text.replace("@SANDBOX@", sandbox.toString()));
    }

    private void startDaemon(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("daemon"));
        args.addAll(List.of(extra));
        args.addAll(List.of("--units", units().toString()));
        daemon = DaemonProcess.start(sandbox, Map.of(), args.toArray(String[]::new));
        // The units are read off the loop: the target is active once they are in the graph.
        int t = args.indexOf("--target");
        String target = t < 0 ? "default.target" : args.get(t + 1);
        Await.until(target + " is active", WAIT, () -> run("is-active", "--quiet", target).exit() == 0);
    }

    /** db (notify), app requiring it and wanting a unit that exists nowhere, bad (fails), all in the default target. */
    private void graph() throws IOException {
        unit("default.target", "[Unit]\nDescription=Default\nWants=multi-user.target\nAfter=multi-user.target\n");
        unit("multi-user.target", "[Unit]\nDescription=Multi-User System\nWants=app.service bad.service\n");
        unit("db.service", """
                [Unit]
                Description=The database
                [Service]
                Type=notify
                NotifyAccess=all
                ExecStart=/bin/sh -c 'systemd-notify --ready; exec sleep 1020'
                """);
        unit("app.service", """
                [Unit]
                Description=The app
                Requires=db.service
                After=db.service
                Wants=ghost.service
                [Service]
                ExecStart=/bin/sleep 1021
                """);
        unit("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
    }

    @Test
    void listingsShowTheGraphWithEachUnitsStateAsSystemctlDoes() throws Exception {
        graph();
        startDaemon();
        daemon.awaitLine("app.service: running", WAIT);
        daemon.awaitLine("bad.service: failed with result 'exit-code'", WAIT);

        String listed = vigil("list-units").output();
        assertTrue(listed.matches("(?s).*\n  app\\.service +loaded +active +running +The app\n.*"), listed);
        assertTrue(listed.matches("(?s).*\n\u25cf bad\\.service +loaded +failed +failed +bad\\.service\n.*"), listed);
        assertTrue(listed.matches("(?s).*\n  multi-user\\.target +loaded +active +active +Multi-User System\n.*"),
                listed);
        assertFalse(listed.contains("ghost.service"), "inactive: only with --all");
        assertTrue(vigil("list-units", "--all").output()
                .matches("(?s).*\n\u25cf ghost\\.service +not-found +inactive +dead +ghost\\.service\n.*"));
        assertEquals(List.of("\u25cf bad.service loaded failed failed bad.service"),
                vigil("list-units", "--failed", "--no-legend").output().lines().toList());
        String targets = vigil("list-units", "--type=target", "--no-legend").output();
        assertTrue(targets.contains("default.target") && !targets.contains(".service"), targets);

        Tools.Result tree = vigil("list-dependencies");
        assertEquals(0, tree.exit(), tree.output());
        assertEquals(List.of("default.target", "\u25cf \u2514\u2500multi-user.target",
                "\u25cf   \u251c\u2500app.service", "\u25cf   \u2514\u2500bad.service"), tree.output().lines().toList());
        // sysinit.target: a service's default dependency (Requires=), as systemctl lists it too.
        assertEquals(List.of("app.service", "\u25cf \u251c\u2500db.service", "\u25cf \u251c\u2500ghost.service",
                "\u25cf \u2514\u2500sysinit.target"), vigil("list-dependencies", "app").output().lines().toList());
        assertEquals(List.of("db.service", "\u25cf \u2514\u2500app.service"),
                vigil("list-dependencies", "--reverse", "db.service").output().lines().toList());

        List<String> shown = vigil("show", "app", "-p", "Requires,Wants,After,WantedBy,ActiveState,MainPID")
                .output().lines().toList();
        // With the default dependencies a service has, as systemctl shows them.
        assertEquals(List.of("Requires=db.service sysinit.target", "Wants=ghost.service", "WantedBy=multi-user.target",
                "After=db.service sysinit.target basic.target", "ActiveState=active"), shown.subList(0, 5));
        assertTrue(shown.get(5).matches("MainPID=[1-9][0-9]*"), shown.toString());
        assertEquals(List.of("RequiredBy=app.service", "LoadState=loaded"),
                vigil("show", "db.service", "-p", "RequiredBy", "-p", "LoadState").output().lines().toList());
    }

    @Test
    void isActiveAndIsFailedAnswerWithSystemctlsWordsAndExitCodes() throws Exception {
        graph();
        startDaemon();
        daemon.awaitLine("app.service: running", WAIT);
        daemon.awaitLine("bad.service: failed with result 'exit-code'", WAIT);
        assertEquals(new Tools.Result(0, "active\nactive"), vigil("is-active", "app", "db.service"));
        assertEquals(new Tools.Result(0, "failed\nactive"), vigil("is-active", "bad", "app"), "one is enough");
        // As systemctl's check_unit_generic: LSB's 4, "status unknown", when no unit of the name exists.
        assertEquals(new Tools.Result(4, "inactive"), vigil("is-active", "ghost.service"));
        assertEquals(new Tools.Result(3, ""), vigil("is-active", "--quiet", "bad"));
        assertEquals(new Tools.Result(0, "failed"), vigil("is-failed", "bad"));
        assertEquals(new Tools.Result(1, ""), vigil("is-failed", "-q", "app"));
        assertEquals(new Tools.Result(0, "active"), vigil("is-active", "multi-user.target"));
    }

    @Test
    void startPrintsItsJobsAndWaitsForThemOrReturnsAtOnceWithNoBlock() throws Exception {
        // db is ready only once the test says so: the jobs can be looked at while they wait.
        unit("default.target", "[Unit]\n");
        unit("db.service", """
                [Service]
                Type=notify
                NotifyAccess=all
                WorkingDirectory=@SANDBOX@
                ExecStart=/bin/sh -c 'while ! test -e go; do sleep 0.05; done; systemd-notify --ready; exec sleep 1022'
                """);
        unit("app.service", "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/sleep 1023\n");
        unit("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
        unit("needsbad.service", "[Unit]\nRequires=bad.service\nAfter=bad.service\n"
                + "[Service]\nExecStart=/bin/sleep 1024\n");
        unit("stack.target", "[Unit]\nWants=other.service\n");
        unit("other.service", "[Service]\nExecStart=/bin/sleep 1025\n");
        startDaemon();

        Tools.Result queued = vigil("start", "--no-block", "app");
        assertEquals(0, queued.exit(), queued.output());
        // The first start also pulls in the stand-in sysinit.target (default dependencies), done at once.
        assertTrue(queued.output().matches("job \\d+ start app\\.service: waiting\njob \\d+ start db\\.service: "
                + "running(\njob \\d+ start sysinit\\.target: done)?"), queued.output());
        String jobs = vigil("list-jobs").output();
        assertTrue(jobs.matches("(?s)JOB UNIT +TYPE +STATE\n *\\d+ app\\.service +start +waiting\n *\\d+ "
                + "db\\.service +start +running\n\n2 jobs listed\\."), jobs);
        assertEquals("activating", vigil("is-active", "db").output());

        Files.writeString(sandbox.resolve("go"), "");
        Await.until("app is active", WAIT, () -> run("is-active", "app").exit() == 0);
        assertEquals("No jobs running.", vigil("list-jobs").output());

        Tools.Result stopped = vigil("stop", "db");
        assertEquals(0, stopped.exit(), stopped.output());
        assertTrue(stopped.output().matches("job \\d+ stop db\\.service: done\njob \\d+ stop app\\.service: done\n"
                + "db\\.service: inactive"), stopped.output());

        Tools.Result failed = vigil("start", "needsbad");
        assertEquals(1, failed.exit(), failed.output());
        assertTrue(failed.output().contains("needsbad.service: its start job ended: dependency (a dependency "
                + "failed: the start of bad.service)"), failed.output());

        Tools.Result target = vigil("start", "stack.target");
        assertEquals(0, target.exit(), target.output());
        assertTrue(target.output().matches("job \\d+ start stack\\.target: done\njob \\d+ start other\\.service: "
                + "done\nstack\\.target: active"), target.output());
        assertEquals(new Tools.Result(0, "active\nactive"), vigil("is-active", "stack.target", "other"));
    }

    @Test
    void theEventsStreamCarriesEachJobQueuedStartedAndFinished() throws Exception {
        unit("default.target", "[Unit]\n");
        unit("db.service", "[Service]\nExecStart=/bin/sleep 1026\n");
        unit("app.service", "[Unit]\nRequires=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/sleep 1027\n");
        startDaemon();
        List<Map<String, Object>> events = Collections.synchronizedList(new ArrayList<>());
        try (RawControl stream = new RawControl(sandbox.resolve("run/control"))) {
            assertEquals(true, stream.call("{\"v\":1,\"cmd\":\"subscribe\"}").get("ok"));
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    for (var e = stream.readJson(); e != null; e = stream.readJson()) {
                        // The boot target's, and the stand-in sysinit.target's that the first start pulls in.
                        if (!List.of("default.target", "sysinit.target").contains(e.get("service"))) events.add(e);
                    }
                } catch (IOException closed) {
                    // The test closed the stream.
                }
            });
            assertEquals(0, vigil("start", "app").exit());
            Await.until("app's job has finished", WAIT, () -> jobEvents(events).contains("app.service job-finished "
                    + "start done"));
            stream.close();
            reader.join();
        }
        List<String> jobs = jobEvents(events);
        assertEquals(List.of("app.service job-queued start", "db.service job-queued start",
                "db.service job-started start", "db.service job-finished start done", "app.service job-started start",
                "app.service job-finished start done"), jobs);
        List<Object> ids = events.stream().filter(e -> "app.service".equals(e.get("service"))
                && String.valueOf(e.get("event")).startsWith("job-")).map(e -> e.get("job")).distinct().toList();
        assertEquals(1, ids.size(), "one job, one id: " + ids);
    }

    private static List<String> jobEvents(List<Map<String, Object>> events) {
        synchronized (events) {
            return events.stream().filter(e -> String.valueOf(e.get("event")).startsWith("job-"))
                    .map(e -> e.get("service") + " " + e.get("event") + " " + e.get("type")
                            + (e.get("result") != null ? " " + e.get("result") : ""))
                    .toList();
        }
    }

    @Test
    void enableNowAndDisableNowRoundTripThroughTheDaemon() throws Exception {
        unit("multi-user.target", "[Unit]\n");
        Path web = unit("web.service", """
                [Service]
                ExecStart=/bin/sleep 1028
                [Install]
                WantedBy=multi-user.target
                Alias=www.service
                """);
        startDaemon("--target", "multi-user.target");
        assertEquals(new Tools.Result(1, "disabled"), vigil("is-enabled", "web"));

        Tools.Result enabled = vigil("enable", "--now", "web");
        assertEquals(0, enabled.exit(), enabled.output());
        assertTrue(enabled.output().contains("Created symlink " + units().resolve("multi-user.target.wants/web.service")
                + " \u2192 " + web + "."), enabled.output());
        assertTrue(enabled.output().contains("Created symlink " + units().resolve("www.service") + " \u2192 " + web
                + "."), enabled.output());
        assertTrue(enabled.output().endsWith("web.service: active (pid " + pidOf("web") + ")"), enabled.output());
        assertEquals(new Tools.Result(0, "enabled"), vigil("is-enabled", "web"));
        assertEquals(List.of("multi-user.target", "\u25cf \u2514\u2500web.service"),
                vigil("list-dependencies", "multi-user.target").output().lines().toList(),
                "the daemon read the new link");

        Tools.Result disabled = vigil("disable", "--now", "web.service");
        assertEquals(0, disabled.exit(), disabled.output());
        assertTrue(disabled.output().contains("Removed \"" + units().resolve("multi-user.target.wants/web.service")
                + "\"."), disabled.output());
        assertEquals(new Tools.Result(3, "inactive"), vigil("is-active", "web"));
        assertEquals(new Tools.Result(1, "disabled"), vigil("is-enabled", "web"));
        assertEquals(Map.of(), symlinks(units()));
        assertEquals(List.of("multi-user.target"), vigil("list-dependencies", "multi-user.target").output().lines()
                .toList());
    }

    private String pidOf(String unit) throws Exception {
        return vigil("show", unit, "-p", "MainPID", "--value").output();
    }

    @Test
    void enableAndDisableMakeAndRemoveTheLinksSystemctlMakes() throws Exception {
        Tools.require("systemctl", "systemd");
        Path systemdRoot = sandbox.resolve("systemd-root");
        Path ours = sandbox.resolve("vigil-root");
        for (Path root : List.of(systemdRoot, ours)) {
            Path dir = Files.createDirectories(root.resolve("etc/systemd/system"));
            Files.writeString(dir.resolve("web.service"), "[Service]\nExecStart=/bin/web\n[Install]\n"
                    + "WantedBy=multi-user.target\nRequiredBy=web.target\nAlias=www.service\nAlso=db.service\n");
            Files.writeString(dir.resolve("db.service"), "[Service]\nExecStart=/bin/db\n[Install]\n"
                    + "WantedBy=multi-user.target\n");
            Files.writeString(dir.resolve("getty@.service"), "[Service]\nExecStart=/bin/getty %i\n[Install]\n"
                    + "WantedBy=getty.target\nDefaultInstance=tty1\n");
            Files.writeString(dir.resolve("plain.service"), "[Service]\nExecStart=/bin/plain\n");
            Files.writeString(dir.resolve("pair.service"), "[Service]\nExecStart=/bin/p\n[Install]\n"
                    + "Also=plain.service\n");
            Files.writeString(dir.resolve("multi-user.target"), "[Unit]\n");
            Files.createSymbolicLink(dir.resolve("gone.service"), Path.of("/dev/null"));
        }
        Path ourDir = ours.resolve("etc/systemd/system");
        List<String> enable = List.of("web.service", "getty@.service", "getty@tty2.service");
        List<String> systemctlEnable = new ArrayList<>(List.of("systemctl", "--root=" + systemdRoot, "enable"));
        systemctlEnable.addAll(enable);
        Tools.Result theirs = Tools.run(sandbox, Map.of(), null, systemctlEnable);
        assertEquals(0, theirs.exit(), theirs.output());
        List<String> ourEnable = new ArrayList<>(List.of("enable"));
        ourEnable.addAll(enable);
        ourEnable.addAll(List.of("--units", ourDir.toString()));
        Tools.Result mine = vigil(ourEnable.toArray(String[]::new));
        assertEquals(0, mine.exit(), mine.output());
        // systemctl --root points links at the file as it is seen from inside the root.
        assertEquals(symlinks(systemdRoot), symlinks(ours).entrySet().stream().collect(TreeMap::new,
                (m, e) -> m.put(e.getKey(), e.getValue().replace(ours.toString(), "")), Map::putAll));
        assertEquals(6, symlinks(ours).size(), symlinks(ours).toString());

        for (String name : List.of("web.service", "www.service", "db.service", "getty@tty1.service",
                "getty@tty2.service", "getty@tty3.service", "plain.service", "pair.service", "gone.service",
                "nope.service")) {
            Tools.Result expected = Tools.run(sandbox, "systemctl", "--root=" + systemdRoot, "is-enabled", name);
            Tools.Result got = vigil("is-enabled", name, "--units", ourDir.toString());
            assertEquals(expected.exit(), got.exit(), name + ": " + expected + " / " + got);
            if (expected.exit() == 0 || !expected.output().startsWith("Failed")) {
                assertEquals(expected.output(), got.output(), name);
            }
        }

        assertEquals(0, Tools.run(sandbox, "systemctl", "--root=" + systemdRoot, "disable", "web.service",
                "getty@tty2.service").exit());
        assertEquals(0, vigil("disable", "web.service", "getty@tty2.service", "--units", ourDir.toString()).exit());
        assertEquals(symlinks(systemdRoot), symlinks(ours).entrySet().stream().collect(TreeMap::new,
                (m, e) -> m.put(e.getKey(), e.getValue().replace(ours.toString(), "")), Map::putAll));
    }

    /** Every symlink under {@code root} but masks, by its path relative to it, with what it points at. */
    private static TreeMap<String, String> symlinks(Path root) throws IOException {
        var out = new TreeMap<String, String>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                String target = Files.readSymbolicLink(p).toString();
                if (!target.equals("/dev/null")) out.put(root.relativize(p).toString(), target);
            }
        }
        return out;
    }

    private Tools.Result run(String... args) {
        try {
            return vigil(args);
        } catch (Exception e) {
            throw new AssertionError(e);
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
