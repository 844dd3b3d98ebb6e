package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Signals;

class UnitCompilerTest {
    @TempDir
    Path dir;

    private UnitResult load(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
        return UnitLoader.scan(List.of(dir), TestHosts.system()).load(name);
    }

    private Unit loaded(String name, String text) throws IOException {
        UnitResult r = load(name, text);
        return assertInstanceOf(UnitResult.Loaded.class, r, () -> "got " + formatted(r)).unit();
    }

    private ServiceSection service(String text) throws IOException {
        return loaded("s.service", text).service().orElseThrow();
    }

    private List<String> formatted(UnitResult r) {
        return r.diagnostics().stream().map(Diagnostic::format).toList();
    }

    @Test
    void unknownDirectiveIsAWarningWithFileAndLine() throws IOException {
        UnitResult r = load("s.service", "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/x\nFrobnicate=yes\n");
        assertInstanceOf(UnitResult.Loaded.class, r);
        assertEquals(List.of(dir.resolve("s.service") + ":5: Frobnicate=yes: unknown directive in [Service]; "
                + "ignored"), formatted(r));
        assertEquals(Diagnostic.Kind.UNKNOWN_DIRECTIVE, r.diagnostics().getFirst().kind());
    }

    @Test
    void ignoredDirectiveIsAWarning() throws IOException {
        UnitResult r = load("s.service", "[Service]\nExecStart=/bin/x\nPrivateTmp=yes\n");
        assertEquals(List.of(dir.resolve("s.service") + ":3: PrivateTmp=yes: not supported by Vigil; ignored"),
                formatted(r));
        assertEquals(Diagnostic.Kind.IGNORED_DIRECTIVE, r.diagnostics().getFirst().kind());
    }

    @Test
    void xPrefixedKeysAndSectionsAreSilent() throws IOException {
        UnitResult r = load("s.service", "[Service]\nExecStart=/bin/x\nX-Mine=1\n[X-Tool]\nAnything=goes\n");
        assertEquals(List.of(), formatted(r));
    }

    @Test
    void unknownSectionIsAWarningAndItsEntriesAreSkipped() throws IOException {
        UnitResult r = load("s.service", "[Service]\nExecStart=/bin/x\n[Socket]\nListenStream=bad address\n");
        assertInstanceOf(UnitResult.Loaded.class, r);
        assertEquals(List.of(dir.resolve("s.service") + ":3: [Socket]: unknown section in a .service unit; ignored"),
                formatted(r));
    }

    @Test
    void invalidValueFailsThatUnitOnly() throws IOException {
        Files.writeString(dir.resolve("good.service"), "[Service]\nExecStart=/bin/good\n");
        Files.writeString(dir.resolve("bad.service"), "[Service]\nExecStart=/bin/bad\nRemainAfterExit=maybe\n"
                + "Type=sometimes\nTimeoutSec=soon\nKillSignal=SIGNOPE\nSuccessExitStatus=300\n"
                + "ExecStop=/bin/x 'open\n");
        UnitLoader loader = UnitLoader.scan(List.of(dir), TestHosts.system());
        assertInstanceOf(UnitResult.Loaded.class, loader.load("good.service"));
        UnitResult r = loader.load("bad.service");
        assertInstanceOf(UnitResult.Failed.class, r);
        String f = dir.resolve("bad.service").toString();
        assertEquals(List.of(
                f + ":3: RemainAfterExit=maybe: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)",
                f + ":4: Type=sometimes: unknown service type 'sometimes' (expected one of simple, exec, forking, "
                        + "oneshot, dbus, notify, notify-reload, idle)",
                f + ":5: TimeoutSec=soon: 'soon' is not a time span (like 90, 1min 30s, 500ms or infinity)",
                f + ":6: KillSignal=SIGNOPE: 'SIGNOPE' is not a signal",
                f + ":7: SuccessExitStatus=300: 300 is out of range 0..255",
                f + ":8: ExecStop=/bin/x 'open: unbalanced quote '"), formatted(r));
        assertTrue(r.diagnostics().stream().allMatch(d -> d.kind() == Diagnostic.Kind.INVALID_VALUE));
    }

    @Test
    void errorInADropInNamesTheDropIn() throws IOException {
        Files.createDirectories(dir.resolve("s.service.d"));
        Files.writeString(dir.resolve("s.service.d/bad.conf"), "[Service]\n\nNice=99\n");
        UnitResult r = load("s.service", "[Service]\nExecStart=/bin/x\n");
        assertEquals(List.of(dir.resolve("s.service.d/bad.conf") + ":3: Nice=99: 99 is out of range -20..19"),
                formatted(r));
    }

    @Test
    void serviceLevelChecksAreErrors() throws IOException {
        assertEquals(List.of(dir.resolve("s.service") + ": the service has no ExecStart=, which only Type=oneshot "
                + "allows"), formatted(load("s.service", "[Service]\nType=simple\nExecStop=/bin/x\n")));
        assertEquals(List.of(dir.resolve("s.service") + ": the service has more than one ExecStart=, which only "
                + "Type=oneshot allows"),
                formatted(load("s.service", "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n")));
        assertEquals(List.of(dir.resolve("s.service") + ": the service has no ExecStart=, ExecStop= or "
                + "SuccessAction="), formatted(load("s.service", "[Unit]\nDescription=nothing\n")));
        assertInstanceOf(UnitResult.Loaded.class, load("s.service", "[Service]\nType=oneshot\nExecStart=/bin/a\n"
                + "ExecStart=/bin/b\n"));
        assertInstanceOf(UnitResult.Failed.class, load("s.service", "[Service]\nType=oneshot\nExecStart=/bin/a\n"
                + "Restart=always\n"));
        assertInstanceOf(UnitResult.Failed.class, load("s.service", "[Service]\nType=dbus\nExecStart=/bin/a\n"));
    }

    @Test
    void serviceDefaultsAreSystemds() throws IOException {
        ServiceSection s = service("[Service]\nExecStart=/bin/x\n");
        assertEquals(ServiceSection.Type.SIMPLE, s.type());
        assertEquals(ServiceSection.Restart.NO, s.restart());
        assertEquals(TimeSpan.ofMillis(100), s.restartSec());
        assertEquals(TimeSpan.ofSeconds(90), s.timeoutStart());
        assertEquals(TimeSpan.ofSeconds(90), s.timeoutStop());
        assertEquals(ServiceSection.NotifyAccess.NONE, s.notifyAccess());
        assertEquals(Signals.SIGHUP, s.reloadSignal());
        assertEquals(new KillContext("control-group", Signals.SIGTERM, OptionalInt.empty(), false, true,
                Signals.SIGKILL, Signals.SIGABRT), s.kill());
        assertEquals(0022, s.exec().umask());
        assertEquals(new Stdio.Null(), s.exec().standardInput());
        assertEquals(new Stdio.Log("journal", false), s.exec().standardOutput());
        assertEquals(new Stdio.Inherit(), s.exec().standardError());

        ServiceSection oneshot = service("[Service]\nType=oneshot\nExecStart=/bin/x\n");
        assertTrue(oneshot.timeoutStart().isInfinite());
        ServiceSection notify = service("[Service]\nType=notify\nExecStart=/bin/x\n");
        assertEquals(ServiceSection.NotifyAccess.MAIN, notify.notifyAccess());
    }

    @Test
    void typedServiceSettings() throws IOException {
        ServiceSection s = service("""
                [Service]
                Type=notify-reload
                ExecStart=/bin/x
                Restart=on-abnormal
                RestartSec=1min 30s
                RestartSteps=3
                RestartMaxDelaySec=5min
                TimeoutSec=20
                TimeoutStopSec=0
                WatchdogSec=10s
                SuccessExitStatus=1 2 SIGUSR1
                SuccessExitStatus=TEMPFAIL
                RestartPreventExitStatus=255
                RestartForceExitStatus=SIGKILL
                NotifyAccess=all
                KillMode=mixed
                KillSignal=SIGINT
                SendSIGHUP=yes
                SendSIGKILL=no
                FinalKillSignal=QUIT
                PIDFile=app.pid
                User=www-data
                Group=www
                SupplementaryGroups=a b
                SupplementaryGroups=c
                WorkingDirectory=-~
                UMask=0077
                Nice=-5
                OOMScoreAdjust=-900
                LimitNOFILE=1024:4096
                LimitCORE=infinity
                LimitAS=1G
                LimitCPU=2min
                LimitNICE=-5
                Environment="GREETING=hello world" PATH=/bin
                Environment=PATH=/usr/bin:/bin
                EnvironmentFile=-/etc/default/x
                EnvironmentFile=/etc/x.env
                PassEnvironment=TERM LANG
                UnsetEnvironment=TMP FOO=bar
                RuntimeDirectory=x x/sub
                RuntimeDirectoryMode=0750
                StateDirectory=x
                StandardInput=tty
                StandardOutput=append:/var/log/x.log
                StandardError=journal+console
                NoNewPrivileges=true
                """);
        assertEquals(ServiceSection.Type.NOTIFY_RELOAD, s.type());
        assertEquals(ServiceSection.Restart.ON_ABNORMAL, s.restart());
        assertEquals(TimeSpan.ofSeconds(90), s.restartSec());
        assertEquals(3, s.restartSteps());
        assertEquals(TimeSpan.ofSeconds(300), s.restartMaxDelay());
        assertEquals(TimeSpan.ofSeconds(20), s.timeoutStart());
        assertTrue(s.timeoutStop().isInfinite());
        assertEquals(TimeSpan.ofSeconds(10), s.watchdog());
        assertEquals(new ExitStatusSet(java.util.Set.of(1, 2, 75), java.util.Set.of(Signals.SIGUSR1)),
                s.successExitStatus());
        assertEquals(java.util.Set.of(255), s.restartPreventExitStatus().codes());
        assertEquals(java.util.Set.of(Signals.SIGKILL), s.restartForceExitStatus().signals());
        assertEquals(ServiceSection.NotifyAccess.ALL, s.notifyAccess());
        assertEquals(new KillContext("mixed", Signals.SIGINT, OptionalInt.empty(), true, false, Signals.SIGQUIT,
                Signals.SIGABRT), s.kill());
        assertEquals("/run/app.pid", s.pidFile().orElseThrow());

        ExecContext e = s.exec();
        assertEquals("www-data", e.user().orElseThrow());
        assertEquals("www", e.group().orElseThrow());
        assertEquals(List.of("a", "b", "c"), e.supplementaryGroups());
        assertEquals(new ExecContext.WorkingDirectory("~", true), e.workingDirectory().orElseThrow());
        assertEquals(0077, e.umask());
        assertEquals(OptionalInt.of(-5), e.nice());
        assertEquals(OptionalInt.of(-900), e.oomScoreAdjust());
        assertEquals(new ResourceLimit(1024, 4096), e.limits().get(ResourceLimit.Resource.NOFILE));
        assertEquals(new ResourceLimit(-1, -1), e.limits().get(ResourceLimit.Resource.CORE));
        assertEquals(new ResourceLimit(1L << 30, 1L << 30), e.limits().get(ResourceLimit.Resource.AS));
        assertEquals(new ResourceLimit(120, 120), e.limits().get(ResourceLimit.Resource.CPU));
        assertEquals(new ResourceLimit(25, 25), e.limits().get(ResourceLimit.Resource.NICE));
        assertEquals(List.of("GREETING", "PATH"), List.copyOf(e.environment().keySet()));
        assertEquals(Map.of("GREETING", "hello world", "PATH", "/usr/bin:/bin"), e.environment());
        assertEquals(List.of(new ExecContext.EnvironmentFile("/etc/default/x", true),
                new ExecContext.EnvironmentFile("/etc/x.env", false)), e.environmentFiles());
        assertEquals(List.of("TERM", "LANG"), e.passEnvironment());
        assertEquals(List.of("TMP", "FOO=bar"), e.unsetEnvironment());
        assertEquals(List.of("x", "x/sub"), e.directories().get(ExecContext.DirectoryKind.RUNTIME));
        assertEquals(0750, e.directoryMode(ExecContext.DirectoryKind.RUNTIME));
        assertEquals(0755, e.directoryMode(ExecContext.DirectoryKind.STATE));
        assertEquals(new Stdio.Tty("tty"), e.standardInput());
        assertEquals(new Stdio.File("/var/log/x.log", Stdio.FileMode.APPEND), e.standardOutput());
        assertEquals(new Stdio.Log("journal", true), e.standardError());
        assertTrue(e.noNewPrivileges());
    }

    @Test
    void emptyAssignmentResetsListsAndScalars() throws IOException {
        ServiceSection s = service("[Service]\nExecStart=/bin/x\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n"
                + "SuccessExitStatus=3\nSuccessExitStatus=\nRestart=always\nRestart=\nUser=x\nUser=\n");
        assertEquals(Map.of("B", "2"), s.exec().environment());
        assertTrue(s.successExitStatus().isEmpty());
        assertEquals(ServiceSection.Restart.NO, s.restart());
        assertTrue(s.exec().user().isEmpty());
    }

    @Test
    void unitSectionDependenciesAndConditions() throws IOException {
        Unit u = loaded("s.service", """
                [Unit]
                Description=Web for %n
                After=network.target b.service
                After=
                Wants=c.service
                BindTo=d.service
                ConditionPathExists=|!/etc/x
                ConditionPathExists=
                ConditionVirtualization=!container
                AssertPathExists=/etc/y
                StartLimitIntervalSec=30s
                StartLimitBurst=3
                [Service]
                ExecStart=/bin/x
                StartLimitBurst=7
                [Install]
                WantedBy=multi-user.target
                Alias=web.service
                """);
        UnitSection s = u.unit();
        assertEquals("Web for s.service", s.description());
        assertEquals(List.of("network.target", "b.service"), s.dependencies(Dependency.AFTER));
        assertEquals(List.of("c.service"), s.dependencies(Dependency.WANTS));
        assertEquals(List.of("d.service"), s.dependencies(Dependency.BINDS_TO));
        assertEquals(List.of(new Condition("Virtualization", false, false, true, "container")), s.conditions());
        assertEquals(List.of(new Condition("PathExists", true, false, false, "/etc/y")), s.asserts());
        assertEquals(TimeSpan.ofSeconds(30), s.startLimitInterval());
        assertEquals(7, s.startLimitBurst());
        assertEquals(List.of("multi-user.target"), u.install().wantedBy());
        assertEquals(List.of("web.service"), u.install().alias());
    }

    @Test
    void socketSection() throws IOException {
        SocketSection s = loaded("s.socket", """
                [Socket]
                ListenStream=/run/app.sock
                ListenStream=@abstract
                ListenStream=8080
                ListenStream=127.0.0.1:9090
                ListenStream=[::1]:80
                ListenDatagram=vsock:2:1234
                ListenNetlink=route 1361
                ListenFIFO=/run/fifo
                SocketMode=0600
                FileDescriptorName=web
                """).socket().orElseThrow();
        assertEquals(List.of(new Listen.PathAddress("/run/app.sock"), new Listen.AbstractAddress("abstract"),
                new Listen.InetAddress(java.util.Optional.empty(), 8080, java.util.Optional.empty()),
                new Listen.InetAddress(java.util.Optional.of("127.0.0.1"), 9090, java.util.Optional.empty()),
                new Listen.InetAddress(java.util.Optional.of("::1"), 80, java.util.Optional.empty()),
                new Listen.VsockAddress("2", 1234), new Listen.NetlinkAddress("route", 1361),
                new Listen.PathAddress("/run/fifo")), s.listens().stream().map(Listen::address).toList());
        assertEquals(false, s.accept());
        assertEquals(0600, s.socketMode());
        assertEquals(20, s.triggerLimitBurst());
        SocketSection accepting = loaded("a.socket", "[Socket]\nListenStream=22\nAccept=yes\n").socket()
                .orElseThrow();
        assertTrue(accepting.accept());
        assertEquals(200, accepting.triggerLimitBurst());
        assertInstanceOf(UnitResult.Failed.class, load("d.socket", "[Socket]\nListenDatagram=53\nAccept=yes\n"));
        assertEquals("web", s.fileDescriptorName().orElseThrow());
        assertInstanceOf(UnitResult.Failed.class, load("t.socket", "[Socket]\nListenStream=99999\n"));
        assertInstanceOf(UnitResult.Failed.class, load("u.socket", "[Unit]\nDescription=no listen\n"));
    }

    @Test
    void socketOptionsAndAServiceDirectoryAsService() throws IOException {
        SocketSection s = loaded("o.socket", """
                [Socket]
                ListenStream=127.0.0.1:80
                KeepAlive=yes
                NoDelay=true
                Transparent=1
                ReceiveBuffer=1M
                SendBuffer=4096
                Mark=7
                IPTOS=low-delay
                IPTTL=64
                Service=web
                """).socket().orElseThrow();
        assertEquals(new SocketOptions(true, true, true, java.util.Optional.of(1 << 20), java.util.Optional.of(4096),
                java.util.Optional.of(7), java.util.Optional.of(0x10), java.util.Optional.of(64)), s.options());
        assertEquals("web.service", s.service().orElseThrow(), "a bare name is a service directory's");
        assertInstanceOf(UnitResult.Failed.class, load("p.socket", "[Socket]\nListenStream=80\nIPTTL=300\n"));
    }

    @Test
    void unsupportedUnitTypesGetOneWarning() throws IOException {
        UnitResult r = load("t.timer", "[Unit]\nDescription=t\n[Timer]\nOnCalendar=daily\nPersistent=yes\n");
        assertInstanceOf(UnitResult.Loaded.class, r);
        assertEquals(List.of(dir.resolve("t.timer") + ": Vigil does not run .timer units; its [Timer] section is "
                + "ignored"), formatted(r));
    }

    /** A .slice unit: its [Slice] limits read, a bad one an error naming file and line (#13). */
    @Test
    void sliceUnitsCarryTheirLimits() throws IOException {
        Unit slice = loaded("test-web.slice", "[Unit]\nDescription=web things\n[Slice]\nTasksMax=5\n"
                + "MemoryMax=64M\nCPUQuota=50%\n");
        assertEquals("web things", slice.unit().description());
        vigil.model.ResourceLimits limits = slice.slice().orElseThrow();
        assertEquals(java.util.OptionalLong.of(5), limits.tasksMax());
        assertEquals(java.util.OptionalLong.of(64L << 20), limits.memoryMax());
        assertEquals(List.of(), formatted(load("test-web.slice", "[Slice]\nTasksMax=5\n")));

        UnitResult bad = load("bad.slice", "[Slice]\nCPUWeight=7\nMemoryMax=lots\n");
        assertInstanceOf(UnitResult.Failed.class, bad);
        assertEquals(1, formatted(bad).size(), () -> formatted(bad).toString());
        assertTrue(formatted(bad).getFirst().startsWith(dir.resolve("bad.slice") + ":3: MemoryMax=lots: "),
                () -> formatted(bad).toString());
        assertTrue(formatted(load("d.slice", "[Slice]\nDelegate=yes\n")).getFirst()
                .endsWith("Delegate=yes: not supported by Vigil; ignored"));
    }

    @Test
    void everyTypedDirectiveHasAParser() throws IOException {
        // An empty value is valid for every directive (it resets), so this reaches each builder's switch.
        for (String section : List.of("Unit", "Service", "Socket", "Install")) {
            String type = section.equals("Socket") ? "socket" : "service";
            var text = new StringBuilder("[" + section + "]\n");
            for (UnitDirectives.Directive d : UnitDirectives.directives(section)) text.append(d.name()).append("=\n");
            text.append(section.equals("Socket") ? "ListenStream=/run/s\n" : "[Service]\nExecStart=/bin/x\n");
            UnitResult r = load("all-" + section.toLowerCase() + "." + type, text.toString());
            assertInstanceOf(UnitResult.Loaded.class, r, () -> section + ": " + r.diagnostics());
            assertTrue(r.diagnostics().stream().noneMatch(d -> d.kind() == Diagnostic.Kind.UNKNOWN_DIRECTIVE));
        }
    }

    @Test
    void supportTableMatchesIssueFive() {
        assertEquals(UnitDirectives.Support.SUPPORTED, UnitDirectives.lookup("Service", "ExecStart").orElseThrow()
                .support());
        assertEquals(UnitDirectives.Support.SUPPORTED, UnitDirectives.lookup("Service", "LimitNOFILE").orElseThrow()
                .support());
        assertEquals(UnitDirectives.Support.IGNORED, UnitDirectives.lookup("Service", "PrivateTmp").orElseThrow()
                .support());
        assertEquals(UnitDirectives.Support.IGNORED, UnitDirectives.lookup("Socket", "User").orElseThrow().support());
        assertEquals(UnitDirectives.Support.SUPPORTED, UnitDirectives.lookup("Unit", "After").orElseThrow().support(),
                "the job engine orders by it");
        assertEquals(UnitDirectives.Support.SUPPORTED, UnitDirectives.lookup("Unit", "OnFailure").orElseThrow()
                .support(), "the job engine starts them");
        assertEquals(UnitDirectives.Support.IGNORED, UnitDirectives.lookup("Unit", "JoinsNamespaceOf")
                .orElseThrow().support());
        assertEquals(UnitDirectives.Support.SUPPORTED, UnitDirectives.lookup("Install", "WantedBy").orElseThrow()
                .support());
        assertTrue(UnitDirectives.lookup("Service", "NoSuchThing").isEmpty());
    }
}
