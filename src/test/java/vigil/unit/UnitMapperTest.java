package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.Command;
import vigil.model.Credentials;
import vigil.model.ExecOptions;
import vigil.model.UnitSpec;
import vigil.model.UnitSpec.Phase;
import vigil.os.Signals;

class UnitMapperTest {
    @TempDir
    Path dir;

    private Accounts accounts() throws IOException {
        Path passwd = dir.resolve("passwd");
        Path group = dir.resolve("group");
        Files.writeString(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:"
                + "/usr/sbin/nologin\nweb:x:1001:1001::/srv/web:/bin/sh\n");
        Files.writeString(group, "root:x:0:\nnogroup:x:65534:\nweb:x:1001:\nadm:x:4:web\nssl:x:120:\n");
        return new Accounts(passwd, group);
    }

    private UnitMapper.Mapped map(String text) throws Exception {
        Path units = Files.createDirectories(dir.resolve("units"));
        Files.writeString(units.resolve("web.service"), text);
        UnitResult r = UnitLoader.scan(List.of(units), TestHosts.system()).load("web.service");
        Unit unit = assertInstanceOf(UnitResult.Loaded.class, r, () -> "got " + r).unit();
        return UnitMapper.map(unit, TestHosts.system(), accounts(), Map.of("TERM", "xterm", "SECRET", "s"));
    }

    private ExecOptions.CapabilitySets capabilities(String lines) throws Exception {
        UnitSpec spec = map("[Service]\nExecStart=/usr/sbin/webd\n" + lines).spec();
        return spec.commands(UnitSpec.Phase.START).getFirst().command().options().capabilities();
    }

    @Test
    void capabilityLinesMergeAsInSystemd() throws Exception {
        long chown = 1, kill = 1 << 5, netBind = 1 << 10, sysAdmin = 1L << 21;
        assertEquals(ExecOptions.CapabilitySets.NONE, capabilities(""));
        // A first line replaces the full set; later ones add, or with ~ take away.
        assertEquals(chown | netBind, capabilities("""
                CapabilityBoundingSet=CAP_NET_BIND_SERVICE cap_chown kill
                CapabilityBoundingSet=~CAP_KILL
                """).boundingSet());
        assertEquals(~(sysAdmin | kill), capabilities("CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_KILL\n").boundingSet());
        assertEquals(0, capabilities("CapabilityBoundingSet=CAP_SYS_ADMIN\nCapabilityBoundingSet=\n").boundingSet());
        assertEquals(-1L, capabilities("CapabilityBoundingSet=CAP_SYS_ADMIN\nCapabilityBoundingSet=~\n")
                .boundingSet());
        assertEquals(netBind | kill, capabilities("""
                AmbientCapabilities=CAP_NET_BIND_SERVICE
                AmbientCapabilities=5 CAP_NOT_YET_INVENTED
                """).ambient());
        assertEquals(1 | 2 | 16, capabilities("SecureBits=noroot noroot-locked\nSecureBits=keep-caps\n").secureBits());
        assertEquals(0, capabilities("SecureBits=noroot\nSecureBits=\n").secureBits());
    }

    @Test
    void xVigilCriticalMarksTheServiceAndADropInsEmptyValueResetsIt() throws Exception {
        assertTrue(map("[Service]\nExecStart=/usr/sbin/webd\nX-Vigil-Critical=yes\n").spec().critical());
        assertFalse(map("[Service]\nExecStart=/usr/sbin/webd\nX-Vigil-Critical=yes\nX-Vigil-Critical=\n").spec()
                .critical());
        assertFalse(map("[Service]\nExecStart=/usr/sbin/webd\n").spec().critical());
    }

    @Test
    void aBadXVigilCriticalIsAnErrorThatNamesTheLine() throws Exception {
        Path units = Files.createDirectories(dir.resolve("units"));
        Files.writeString(units.resolve("web.service"), "[Service]\nExecStart=/usr/sbin/webd\nX-Vigil-Critical=mostly\n");
        UnitResult r = UnitLoader.scan(List.of(units), TestHosts.system()).load("web.service");
        UnitResult.Failed failed = assertInstanceOf(UnitResult.Failed.class, r);
        assertTrue(failed.diagnostics().stream().anyMatch(d -> d.isError() && d.format().contains("X-Vigil-Critical")
                && d.format().contains("'mostly' is not a boolean") && d.format().contains(":3")),
                failed.diagnostics().toString());
    }

    @Test
    void fileSystemConditionsAreMappedAndTheOthersStayIgnored() throws Exception {
        UnitSpec spec = map("""
                [Unit]
                ConditionPathExists=|!/etc/web/disabled
                ConditionDirectoryNotEmpty=/srv/web
                ConditionVirtualization=container
                [Service]
                ExecStart=/usr/sbin/webd
                """).spec();
        assertEquals(List.of(new UnitSpec.Condition("PathExists", true, true, "/etc/web/disabled"),
                new UnitSpec.Condition("DirectoryNotEmpty", false, false, "/srv/web")), spec.conditions());
        assertEquals("ConditionPathExists=|!/etc/web/disabled", spec.conditions().getFirst().describe());
    }

    @Test
    void mapsTheServiceSettings() throws Exception {
        UnitSpec spec = map("""
                [Unit]
                StartLimitIntervalSec=30
                StartLimitBurst=2
                [Service]
                Type=notify
                ExecStartPre=-/bin/true
                ExecStart=/usr/sbin/webd --port ${PORT} $OPTS
                ExecReload=/bin/kill -HUP $MAINPID
                Restart=on-abnormal
                RestartSec=2
                RestartSteps=3
                RestartMaxDelaySec=1min
                TimeoutStartSec=infinity
                TimeoutStopSec=7
                WatchdogSec=20
                SuccessExitStatus=3 SIGUSR1
                RestartPreventExitStatus=4
                KillMode=mixed
                KillSignal=SIGINT
                SendSIGKILL=no
                Environment=PORT=8080 "OPTS=-v -x"
                """).spec();
        assertEquals("web.service", spec.name());
        assertEquals(UnitSpec.Type.NOTIFY, spec.type());
        assertEquals(UnitSpec.NotifyAccess.MAIN, spec.notifyAccess());
        assertEquals(UnitSpec.Restart.ON_ABNORMAL, spec.restart());
        assertEquals(Duration.ofSeconds(2), spec.restartSec());
        assertEquals(3, spec.restartSteps());
        assertEquals(Optional.of(Duration.ofMinutes(1)), spec.restartMaxDelay());
        assertEquals(Optional.empty(), spec.timeoutStart());
        assertEquals(Optional.of(Duration.ofSeconds(7)), spec.timeoutStop());
        assertEquals(Optional.of(Duration.ofSeconds(20)), spec.watchdog());
        assertEquals(Optional.of(Duration.ofSeconds(30)), spec.startLimitInterval());
        assertEquals(2, spec.startLimitBurst());
        assertEquals(new UnitSpec.ExitStatuses(Set.of(3), Set.of(Signals.SIGUSR1)), spec.successExitStatus());
        assertEquals(Set.of(4), spec.restartPreventExitStatus().codes());
        assertEquals(UnitSpec.KillMode.MIXED, spec.kill().mode());
        assertEquals(Signals.SIGINT, spec.kill().signal());
        assertEquals(false, spec.kill().sendSigkill());
        assertTrue(spec.commands(Phase.START_PRE).getFirst().ignoreFailure());
        UnitSpec.UnitCommand start = spec.commands(Phase.START).getFirst();
        Command c = start.command();
        assertEquals(Path.of("/usr/sbin/webd"), c.executable());
        assertEquals(List.of("/usr/sbin/webd", "--port", "8080", "-v", "-x"), start.argv().expand(c.environment()));
        UnitSpec.UnitCommand reload = spec.commands(Phase.RELOAD).getFirst();
        assertEquals(List.of("/bin/kill", "-HUP", "42"), reload.argv().expand(Map.of("MAINPID", "42")));
        assertEquals(Path.of("/"), c.workingDirectory());
        assertEquals(UnitMapper.PATH, c.environment().get("PATH"));
    }

    @Test
    void mapsTheExecContext() throws Exception {
        Files.writeString(dir.resolve("env"), "FROM_FILE='one two'\n");
        UnitSpec spec = map("""
                [Service]
                ExecStart=/bin/web
                ExecStartPost=+/bin/post
                User=web
                SupplementaryGroups=ssl
                WorkingDirectory=~
                UMask=0077
                Nice=5
                OOMScoreAdjust=-100
                LimitNOFILE=1024:4096
                LimitCORE=infinity
                NoNewPrivileges=yes
                EnvironmentFile=%s
                EnvironmentFile=-/does/not/exist
                PassEnvironment=TERM MISSING
                UnsetEnvironment=DROP
                RuntimeDirectory=web
                StateDirectory=web/data
                StateDirectoryMode=0700
                StandardOutput=append:/var/log/web.out
                StandardError=journal
                """.formatted(dir.resolve("env"))).spec();
        Command c = spec.commands(Phase.START).getFirst().command();
        assertEquals(Optional.of(new Credentials(1001, 1001, List.of(1001, 4, 120))), c.user());
        assertEquals(Path.of("/srv/web"), c.workingDirectory());
        Map<String, String> env = c.environment();
        assertTrue(!env.containsKey("FROM_FILE"), "EnvironmentFile= is read at each command's run, not now");
        assertEquals(List.of(new UnitSpec.EnvironmentFile(dir.resolve("env"), false),
                new UnitSpec.EnvironmentFile(Path.of("/does/not/exist"), true)), spec.environmentFiles());
        assertEquals(List.of("DROP"), spec.unsetEnvironment());
        assertEquals("xterm", env.get("TERM"));
        assertTrue(!env.containsKey("MISSING") && !env.containsKey("SECRET"));
        assertEquals("web", env.get("USER"));
        assertEquals("/srv/web", env.get("HOME"));
        assertEquals("/run/web", env.get("RUNTIME_DIRECTORY"));
        assertEquals("/var/lib/web/data", env.get("STATE_DIRECTORY"));
        ExecOptions o = c.options();
        assertEquals(OptionalInt.of(0077), o.umask());
        assertEquals(OptionalInt.of(5), o.nice());
        assertEquals(OptionalInt.of(-100), o.oomScoreAdj());
        assertTrue(o.noNewPrivileges());
        assertTrue(o.rlimits().contains(new ExecOptions.Limit(7, 1024, 4096)));
        assertTrue(o.rlimits().contains(new ExecOptions.Limit(4, -1, -1)));
        Command post = spec.commands(Phase.START_POST).getFirst().command();
        assertEquals(Optional.empty(), post.user(), "+ runs with full privileges");
        assertEquals(ExecOptions.NONE, post.options());
        assertEquals(List.of(new UnitSpec.Directory(Path.of("/run/web"), 0755, c.user(), UnitSpec.Removal.EVERY_STOP),
                new UnitSpec.Directory(Path.of("/var/lib/web/data"), 0700, c.user(), UnitSpec.Removal.NEVER)),
                spec.directories());
        assertEquals(new UnitSpec.Stdio.File(Path.of("/var/log/web.out"), UnitSpec.Stdio.FileMode.APPEND),
                spec.stdout());
        assertEquals(new UnitSpec.Stdio.Log(), spec.stderr());
        assertEquals(new UnitSpec.Stdio.Null(), spec.stdin());
    }

    @Test
    void saysWhatItIgnoresAndRefusesWhatItCannotRun() throws Exception {
        UnitMapper.Mapped idle = map("[Service]\nType=idle\nExecStart=/bin/x\nStandardInput=tty\n"
                + "RuntimeMaxSec=5\n");
        assertEquals(UnitSpec.Type.SIMPLE, idle.spec().type());
        assertEquals(3, idle.notes().size(), idle.notes().toString());
        assertThrows(UnitMapper.CannotRun.class, () -> map("[Service]\nExecStart=/bin/x\nUser=nosuchuser\n"));
        assertEquals(List.of(new UnitSpec.EnvironmentFile(Path.of("/nope"), false)),
                map("[Service]\nExecStart=/bin/x\nEnvironmentFile=/nope\n").spec().environmentFiles(),
                "a missing file fails the start that reads it, not the load");
    }

    @Test
    void typeDbusRunsWaitingForItsBusName() throws Exception {
        UnitSpec spec = map("[Service]\nType=dbus\nBusName=org.x.Y\nExecStart=/bin/x\n").spec();
        assertEquals(UnitSpec.Type.DBUS, spec.type());
        assertEquals(Optional.of("org.x.Y"), spec.busName());
        assertEquals(UnitSpec.Type.DBUS, map("[Service]\nBusName=org.x.Y\nExecStart=/bin/x\n").spec().type(),
                "BusName= without Type= makes it dbus, as in systemd");
    }

    @Test
    void environmentOverridesWhatVigilSetsAndPassEnvironmentIsOverriddenInTurn() throws Exception {
        Map<String, String> env = map("""
                [Service]
                ExecStart=/bin/web
                User=web
                RuntimeDirectory=web
                PassEnvironment=TERM SECRET
                Environment=HOME=/custom RUNTIME_DIRECTORY=/elsewhere TERM=dumb
                """).spec().commands(Phase.START).getFirst().command().environment();
        assertEquals("/custom", env.get("HOME"), "systemd.exec(5): Environment= comes after the manager's variables");
        assertEquals("/elsewhere", env.get("RUNTIME_DIRECTORY"));
        assertEquals("web", env.get("USER"));
        assertEquals("dumb", env.get("TERM"), "Environment= overrides PassEnvironment=");
        assertEquals("s", env.get("SECRET"));
    }

    @Test
    void runtimeDirectoryPreserveDecidesWhichStopsRemoveIt() throws Exception {
        String unit = "[Service]\nExecStart=/bin/web\nRuntimeDirectory=web\nStateDirectory=web\n";
        for (var c : Map.of("", UnitSpec.Removal.EVERY_STOP, "RuntimeDirectoryPreserve=no\n",
                UnitSpec.Removal.EVERY_STOP, "RuntimeDirectoryPreserve=restart\n",
                UnitSpec.Removal.UNLESS_RESTARTING, "RuntimeDirectoryPreserve=yes\n", UnitSpec.Removal.NEVER)
                .entrySet()) {
            List<UnitSpec.Directory> dirs = map(unit + c.getKey()).spec().directories();
            assertEquals(List.of(c.getValue(), UnitSpec.Removal.NEVER),
                    dirs.stream().map(UnitSpec.Directory::removal).toList(), c.getKey());
        }
    }

    @Test
    void bareNamesComeFromTheFixedPathAndDefaultsAreSystemds() throws Exception {
        UnitSpec spec = map("[Service]\nExecStart=sh -c true\n").spec();
        Path sh = spec.commands(Phase.START).getFirst().command().executable();
        assertTrue(sh.isAbsolute() && sh.getFileName().toString().equals("sh"), sh.toString());
        assertEquals(UnitSpec.Restart.NO, spec.restart());
        assertEquals(Duration.ofMillis(100), spec.restartSec());
        assertEquals(Optional.of(Duration.ofSeconds(90)), spec.timeoutStart());
        assertEquals(Optional.of(Duration.ofSeconds(10)), spec.startLimitInterval());
        assertEquals(5, spec.startLimitBurst());
        assertEquals(UnitSpec.KillMode.CONTROL_GROUP, spec.kill().mode());
        assertEquals(UnitSpec.NotifyAccess.NONE, spec.notifyAccess());
        UnitSpec oneshot = map("[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/a\nExecStart=/bin/b\n")
                .spec();
        assertEquals(2, oneshot.commands(Phase.START).size());
        assertEquals(Optional.empty(), oneshot.timeoutStart());
        assertTrue(oneshot.remainAfterExit());
    }

    @Test
    void environmentFileSyntax() {
        assertEquals(Map.of("A", "1", "B", "two words", "C", "x\\y", "D", "joined", "E", "q\"x"),
                EnvironmentFiles.parse("A=1\n; c\n# c\nB=\"two words\"\nC='x\\y'\nnot an assignment\nD=jo\\\nined\n"
                        + "export E=\"q\\\"x\"\n"));
    }
}
