package vigil.unit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import vigil.model.UnitSpec;

/**
 * Every directive systemd knows (its load-fragment table), by section, with how Vigil reads it and whether Vigil
 * acts on it. This table is the one place that says what Vigil supports: loading warns about every directive that
 * is {@link Support#IGNORED}, so a unit is never silently half-understood. Flip an entry to
 * {@link Support#SUPPORTED} when the runtime starts to honour it.
 *
 * <p>SUPPORTED today is the list of issue 5 ("Running"): Type=, the Exec* lists, Restart= and its timing, the
 * timeouts, exit status sets, the kill settings, sd_notify (NotifyAccess=, WatchdogSec=, ReloadSignal=), and the
 * exec context (User=, Group=, SupplementaryGroups=, WorkingDirectory=, RootDirectory=, UMask=, Nice=,
 * OOMScoreAdjust=, Limit*=, the environment settings, the five *Directory= settings and their modes,
 * Standard*=, NoNewPrivileges=, CapabilityBoundingSet=, AmbientCapabilities=, SecureBits=); plus what needs no runtime at all: Description=, Documentation=, SourcePath=,
 * the start limit, and [Install], which only enabling reads.
 */
public final class UnitDirectives {
    private UnitDirectives() {}

    /** Whether Vigil acts on a directive. */
    public enum Support {
        /** Vigil honours it (or, like Description=, it needs nothing done). */
        SUPPORTED,
        /** Vigil parses and checks it, but does not act on it: loading warns. */
        IGNORED
    }

    /** How a directive's value is read. */
    public enum Kind {
        /** Parsed into the section's record ({@link UnitSection}, {@link ServiceSection}...). */
        TYPED,
        /** A legacy [Service] spelling of a [Unit] setting: parsed into {@link UnitSection}. */
        TYPED_IN_UNIT,
        /** Checked to be a boolean, otherwise not kept. */
        BOOLEAN,
        /** Checked to be a time span, otherwise not kept. */
        TIME_SPAN,
        /** Checked to be an unsigned number, otherwise not kept. */
        UNSIGNED,
        /** Resource control, read by {@link vigil.resources.ResourceSettings}; a bad value is ignored with a warning,
         * as systemd's load-fragment.c ignores it. */
        RESOURCE,
        /** Not checked (systemd's own syntax for it is not modelled), not kept. */
        STRING
    }

    /** One directive of one section. */
    public record Directive(String section, String name, Kind kind, Support support) {}

    private static final String EXEC = """
            WorkingDirectory:T RootDirectory:T RootImage RootImageOptions RootImagePolicy RootHash RootHashSignature
            RootVerity RootEphemeral:B ExtensionDirectories ExtensionImages ExtensionImagePolicy MountImages
            MountImagePolicy User:T Group:T SupplementaryGroups:T SetLoginEnvironment Nice:T OOMScoreAdjust:T
            CoredumpFilter IOSchedulingClass IOSchedulingPriority CPUSchedulingPolicy CPUSchedulingPriority
            CPUSchedulingResetOnFork:B CPUAffinity NUMAPolicy NUMAMask UMask:T Environment:T EnvironmentFile:T
            PassEnvironment:T UnsetEnvironment:T DynamicUser:B RemoveIPC:B StandardInput:T StandardOutput:T
            StandardError:T StandardInputText StandardInputData TTYPath TTYReset:B TTYVHangup:B TTYVTDisallocate:B
            TTYRows TTYColumns SyslogIdentifier SyslogFacility SyslogLevel SyslogLevelPrefix:B LogLevelMax
            LogRateLimitIntervalSec:S LogRateLimitBurst:U LogExtraFields LogFilterPatterns Capabilities SecureBits:T
            CapabilityBoundingSet:T AmbientCapabilities:T TimerSlackNSec NoNewPrivileges:T KeyringMode ProtectProc
            ProcSubset PrivateBPF BPFDelegateCommands BPFDelegateMaps BPFDelegatePrograms BPFDelegateAttachments
            SystemCallFilter SystemCallArchitectures SystemCallErrorNumber SystemCallLog MemoryDenyWriteExecute:B
            RestrictNamespaces RestrictRealtime:B RestrictSUIDSGID:B RestrictAddressFamilies LockPersonality:B
            DelegateNamespaces RestrictFileSystems LandlockConfig LimitCPU:T LimitFSIZE:T LimitDATA:T LimitSTACK:T
            LimitCORE:T LimitRSS:T LimitNOFILE:T LimitAS:T LimitNPROC:T LimitMEMLOCK:T LimitLOCKS:T
            LimitSIGPENDING:T LimitMSGQUEUE:T LimitNICE:T LimitRTPRIO:T LimitRTTIME:T ReadWriteDirectories
            ReadOnlyDirectories InaccessibleDirectories ReadWritePaths ReadOnlyPaths InaccessiblePaths ExecPaths
            NoExecPaths ExecSearchPath BindPaths BindReadOnlyPaths TemporaryFileSystem PrivateTmp PrivateDevices:B
            ProtectKernelTunables:B ProtectKernelModules:B ProtectKernelLogs:B ProtectClock:B ProtectControlGroups
            NetworkNamespacePath IPCNamespacePath LogNamespace PrivateNetwork:B PrivateUsers PrivateMounts
            PrivateIPC:B PrivatePIDs ProtectSystem ProtectHome MountFlags MountAPIVFS BindLogSockets Personality
            RuntimeDirectoryPreserve:T RuntimeDirectoryMode:T RuntimeDirectory:T StateDirectoryMode:T
            StateDirectoryAccounting:B StateDirectoryQuota StateDirectory:T CacheDirectoryMode:T
            CacheDirectoryAccounting:B CacheDirectoryQuota CacheDirectory:T LogsDirectoryMode:T
            LogsDirectoryAccounting:B LogsDirectoryQuota LogsDirectory:T ConfigurationDirectoryMode:T
            ConfigurationDirectory:T SetCredential SetCredentialEncrypted LoadCredential LoadCredentialEncrypted
            ImportCredential TimeoutCleanSec:S PAMName IgnoreSIGPIPE:B UtmpIdentifier UtmpMode SELinuxContext
            AppArmorProfile SmackProcessLabel ProtectHostname MemoryKSM
            """;

    private static final String KILL = """
            SendSIGKILL:T SendSIGHUP:T KillMode:T KillSignal:T RestartKillSignal:T FinalKillSignal:T WatchdogSignal:T
            """;

    private static final String CGROUP = """
            Slice:R AllowedCPUs:R StartupAllowedCPUs AllowedMemoryNodes StartupAllowedMemoryNodes CPUAccounting
            CPUWeight:R
            StartupCPUWeight CPUShares StartupCPUShares CPUQuota:R CPUQuotaPeriodSec MemoryAccounting MemoryMin:R
            DefaultMemoryMin DefaultMemoryLow DefaultStartupMemoryLow MemoryLow:R StartupMemoryLow MemoryHigh:R
            StartupMemoryHigh MemoryMax:R StartupMemoryMax MemorySwapMax:R StartupMemorySwapMax MemoryZSwapMax
            StartupMemoryZSwapMax MemoryZSwapWriteback MemoryLimit DeviceAllow:R DevicePolicy:R IOAccounting IOWeight:R
            StartupIOWeight IODeviceWeight IOReadBandwidthMax:R IOWriteBandwidthMax:R IOReadIOPSMax IOWriteIOPSMax
            IODeviceLatencyTargetSec BlockIOAccounting BlockIOWeight StartupBlockIOWeight BlockIODeviceWeight
            BlockIOReadBandwidth BlockIOWriteBandwidth TasksAccounting TasksMax:R Delegate:R DelegateSubgroup
            DisableControllers IPAccounting IPAddressAllow IPAddressDeny IPIngressFilterPath IPEgressFilterPath
            ManagedOOMSwap ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit
            ManagedOOMMemoryPressureDurationSec ManagedOOMPreference NetClass BPFProgram SocketBindAllow
            SocketBindDeny RestrictNetworkInterfaces MemoryPressureThresholdSec MemoryPressureWatch NFTSet
            CoredumpReceive
            """;

    private static final String UNIT = """
            Description:T Documentation:T SourcePath:T Requires:T Requisite:T Wants:T BindsTo:T BindTo:T Upholds:T
            Conflicts:T Before:T After:T OnSuccess:T OnFailure:T PropagatesReloadTo:T PropagateReloadTo:T
            ReloadPropagatedFrom:T PropagateReloadFrom:T PropagatesStopTo:T StopPropagatedFrom:T PartOf:T
            JoinsNamespaceOf:T RequiresOverridable:T RequisiteOverridable:T RequiresMountsFor:T WantsMountsFor:T
            StopWhenUnneeded:T RefuseManualStart:T RefuseManualStop:T AllowIsolate:T DefaultDependencies:T
            SurviveFinalKillSignal:B OnSuccessJobMode OnFailureJobMode:T OnFailureIsolate:B IgnoreOnIsolate:T
            IgnoreOnSnapshot JobTimeoutSec:T JobRunningTimeoutSec:S JobTimeoutAction JobTimeoutRebootArgument
            StartLimitIntervalSec:T StartLimitInterval:T StartLimitBurst:T StartLimitAction FailureAction:T
            SuccessAction:T FailureActionExitStatus SuccessActionExitStatus RebootArgument CollectMode:T
            """;

    private static final String SERVICE = """
            PIDFile:T ExecCondition:T ExecStartPre:T ExecStart:T ExecReload:T ExecStartPost:T ExecStop:T
            ExecStopPost:T RestartSec:T RestartSteps:T RestartMaxDelaySec:T TimeoutSec:T TimeoutStartSec:T
            TimeoutStopSec:T TimeoutAbortSec:T TimeoutStartFailureMode TimeoutStopFailureMode RuntimeMaxSec:T
            RuntimeRandomizedExtraSec:S WatchdogSec:T StartLimitInterval:TU StartLimitBurst:TU StartLimitAction
            FailureAction RebootArgument Type:T ExitType:T Restart:T RestartMode PermissionsStartOnly:B
            RootDirectoryStartOnly:B RemainAfterExit:T GuessMainPID:T RestartPreventExitStatus:T
            RestartForceExitStatus:T SuccessExitStatus:T SysVStartPriority NonBlocking:B BusName:T
            FileDescriptorStoreMax:T FileDescriptorStorePreserve:T NotifyAccess:T Sockets:T BusPolicy
            USBFunctionDescriptors USBFunctionStrings OOMPolicy:R OpenFile ReloadSignal:T
            """;

    private static final String SOCKET = """
            ListenStream:T ListenDatagram:T ListenSequentialPacket:T ListenFIFO:T ListenNetlink:T ListenSpecial:T
            ListenMessageQueue:T ListenUSBFunction:T SocketProtocol BindIPv6Only:T Backlog:T BindToDevice
            ExecStartPre:T ExecStartPost:T ExecStopPre:T ExecStopPost:T TimeoutSec:T SocketUser:T SocketGroup:T
            SocketMode:T DirectoryMode:T Accept:T FlushPending:B Writable:T MaxConnections:T
            MaxConnectionsPerSource:T KeepAlive:T KeepAliveTimeSec:S KeepAliveIntervalSec:S KeepAliveProbes:U
            DeferAcceptSec:S NoDelay:T Priority ReceiveBuffer:T SendBuffer:T IPTOS:T IPTTL:T Mark:T PipeSize FreeBind:T
            Transparent:T Broadcast:B PassCredentials:T PassPIDFD:B PassSecurity:T PassPacketInfo:B
            AcceptFileDescriptors:B Timestamping TCPCongestion ReusePort:T MessageQueueMaxMessages
            MessageQueueMessageSize RemoveOnStop:T Symlinks:T FileDescriptorName:T Service:T
            PassFileDescriptorsToExec:B TriggerLimitIntervalSec:T TriggerLimitBurst:T PollLimitIntervalSec:S
            PollLimitBurst:U DeferTrigger DeferTriggerMaxSec:S SmackLabel SmackLabelIPIn SmackLabelIPOut
            SELinuxContextFromNet:B
            """;

    private static final String MOUNT = """
            What Where Options Type TimeoutSec:S DirectoryMode SloppyOptions:B LazyUnmount:B ForceUnmount:B
            ReadWriteOnly:B
            """;
    private static final String AUTOMOUNT = "Where ExtraOptions DirectoryMode TimeoutIdleSec:S";
    private static final String SWAP = "What Priority Options TimeoutSec:S";
    private static final String TIMER = """
            OnCalendar OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec OnUnitInactiveSec OnClockChange:B
            OnTimezoneChange:B Persistent:B WakeSystem:B RemainAfterElapse:B FixedRandomDelay:B DeferReactivation:B
            AccuracySec:S RandomizedDelaySec:S RandomizedOffsetSec:S Unit
            """;
    private static final String PATH = """
            PathExists PathExistsGlob PathChanged PathModified DirectoryNotEmpty Unit MakeDirectory:B DirectoryMode
            TriggerLimitIntervalSec:S TriggerLimitBurst:U
            """;
    private static final String SLICE = "ConcurrencySoftMax ConcurrencyHardMax";
    private static final String SCOPE = "RuntimeMaxSec:S RuntimeRandomizedExtraSec:S TimeoutStopSec:S OOMPolicy";
    private static final String INSTALL = "Alias:T WantedBy:T RequiredBy:T UpheldBy:T Also:T DefaultInstance:T";

    /** What Vigil acts on, per section (issue 5's list, and what needs no runtime). */
    private static final Set<String> SUPPORTED_UNIT = supportedUnit();

    private static Set<String> supportedUnit() {
        var keys = new HashSet<>(Set.of("Description", "Documentation", "SourcePath",
                "StartLimitIntervalSec", "StartLimitInterval", "StartLimitBurst"));
        // What the job engine (vigil.deps) acts on.
        keys.addAll(Set.of("Requires", "RequiresOverridable", "Requisite", "RequisiteOverridable", "Wants",
                "BindsTo", "BindTo", "PartOf", "Conflicts", "Before", "After"));
        keys.addAll(Set.of("Upholds", "OnFailure", "OnSuccess", "OnFailureJobMode", "PropagatesReloadTo",
                "PropagateReloadTo", "ReloadPropagatedFrom", "PropagateReloadFrom", "PropagatesStopTo",
                "StopPropagatedFrom", "StopWhenUnneeded", "RefuseManualStart", "RefuseManualStop", "AllowIsolate",
                "IgnoreOnIsolate", "DefaultDependencies"));
        for (String check : UnitSpec.Condition.EVALUATED) keys.add("Condition" + check);
        return Set.copyOf(keys);
    }
    private static final Set<String> SUPPORTED_SERVICE = Set.of("Type", "RemainAfterExit", "PIDFile",
            "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost",
            "Restart", "RestartSec", "RestartSteps", "RestartMaxDelaySec", "TimeoutStartSec", "TimeoutStopSec",
            "TimeoutSec", "SuccessExitStatus", "RestartPreventExitStatus", "RestartForceExitStatus", "NotifyAccess",
            "WatchdogSec", "ReloadSignal", "StartLimitInterval", "StartLimitBurst", "KillMode", "KillSignal",
            "SendSIGKILL", "FinalKillSignal", "SendSIGHUP", "User", "Group", "SupplementaryGroups",
            "WorkingDirectory", "RootDirectory", "UMask", "Nice", "OOMScoreAdjust", "LimitCPU", "LimitFSIZE",
            "LimitDATA", "LimitSTACK", "LimitCORE", "LimitRSS", "LimitNOFILE", "LimitAS", "LimitNPROC",
            "LimitMEMLOCK", "LimitLOCKS", "LimitSIGPENDING", "LimitMSGQUEUE", "LimitNICE", "LimitRTPRIO",
            "LimitRTTIME", "Environment", "EnvironmentFile", "UnsetEnvironment", "PassEnvironment",
            "RuntimeDirectory", "StateDirectory", "LogsDirectory", "CacheDirectory", "ConfigurationDirectory",
            "RuntimeDirectoryMode", "StateDirectoryMode", "LogsDirectoryMode", "CacheDirectoryMode",
            "ConfigurationDirectoryMode", "StandardInput", "StandardOutput", "StandardError", "NoNewPrivileges",
            "RestartKillSignal", "WatchdogSignal", "TimeoutAbortSec", "RuntimeDirectoryPreserve",
            // Capabilities (vigil-exec applies them around the switch of user), and the forking main pid's guess.
            "CapabilityBoundingSet", "AmbientCapabilities", "SecureBits", "GuessMainPID",
            // Resource control (vigil.resources), applied through the service's cgroup.
            "MemoryMin", "MemoryLow", "MemoryHigh", "MemoryMax", "MemorySwapMax", "CPUQuota", "CPUWeight",
            "AllowedCPUs", "TasksMax", "IOWeight", "IOReadBandwidthMax", "IOWriteBandwidthMax", "DeviceAllow",
            "DevicePolicy", "Delegate", "Slice", "OOMPolicy");

    /** Sections by name, each with its directives in table order. */
    private static final Map<String, Map<String, Directive>> SECTIONS = new HashMap<>();
    /** Which sections each unit type has, besides [Unit] and [Install]. */
    private static final Map<UnitType, String> TYPE_SECTION = new HashMap<>();

    static {
        var conditions = new StringBuilder();
        for (String check : Condition.CHECKS.stream().sorted().toList()) {
            conditions.append(" Condition").append(check).append(":T Assert").append(check).append(":T");
        }
        section("Unit", SUPPORTED_UNIT, UNIT, conditions.toString());
        section("Install", null, INSTALL);
        section("Service", SUPPORTED_SERVICE, SERVICE, EXEC, CGROUP, KILL);
        section("Socket", Set.of(), SOCKET, EXEC, CGROUP, KILL);
        section("Mount", Set.of(), MOUNT, EXEC, CGROUP, KILL);
        section("Swap", Set.of(), SWAP, EXEC, CGROUP, KILL);
        section("Automount", Set.of(), AUTOMOUNT);
        section("Timer", Set.of(), TIMER);
        section("Path", Set.of(), PATH);
        // A slice's limits go in its cgroup (vigil.resources); what places a unit (Slice=, Delegate=) or acts on
        // its processes (OOMPolicy=) means nothing for a slice.
        var sliceLimits = new HashSet<>(vigil.resources.ResourceSettings.DIRECTIVES);
        sliceLimits.removeAll(Set.of("Slice", "Delegate", "OOMPolicy"));
        section("Slice", sliceLimits, SLICE, CGROUP);
        section("Scope", Set.of(), SCOPE, CGROUP, KILL);
        for (UnitType t : UnitType.values()) t.section().ifPresent(s -> TYPE_SECTION.put(t, s));
    }

    /** Registers a section from "Name:K" tokens (K: T typed, TU typed in [Unit], B, S, U, R resource control;
     * none: string); a null
     * {@code supported} means all are supported. */
    private static void section(String name, Set<String> supported, String... groups) {
        var directives = new LinkedHashMap<String, Directive>();
        for (String group : groups) {
            for (String token : group.split("\\s+")) {
                if (token.isEmpty()) continue;
                int colon = token.indexOf(':');
                String key = colon < 0 ? token : token.substring(0, colon);
                Kind kind = switch (colon < 0 ? "" : token.substring(colon + 1)) {
                    case "T" -> Kind.TYPED;
                    case "TU" -> Kind.TYPED_IN_UNIT;
                    case "B" -> Kind.BOOLEAN;
                    case "S" -> Kind.TIME_SPAN;
                    case "U" -> Kind.UNSIGNED;
                    case "R" -> Kind.RESOURCE;
                    default -> Kind.STRING;
                };
                Support support = supported == null || supported.contains(key) ? Support.SUPPORTED : Support.IGNORED;
                directives.putIfAbsent(key, new Directive(name, key, kind, support));
            }
        }
        SECTIONS.put(name, Collections.unmodifiableMap(directives));
    }

    /** Whether a unit of {@code type} may have section {@code section}: [Unit], [Install] and its own. */
    public static boolean hasSection(UnitType type, String section) {
        return section.equals("Unit") || section.equals("Install") || section.equals(TYPE_SECTION.get(type));
    }

    /** The directive {@code key} of {@code section}, if systemd knows it there. */
    public static Optional<Directive> lookup(String section, String key) {
        Map<String, Directive> directives = SECTIONS.get(section);
        return directives == null ? Optional.empty() : Optional.ofNullable(directives.get(key));
    }

    /** Every directive of a section, in systemd's table order; empty for an unknown section. */
    public static List<Directive> directives(String section) {
        return new ArrayList<>(SECTIONS.getOrDefault(section, Map.of()).values());
    }

    /** The section names this table knows. */
    public static Set<String> sections() {
        return Collections.unmodifiableSet(SECTIONS.keySet());
    }
}
