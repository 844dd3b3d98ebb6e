package vigil.unit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The typed {@code [Socket]} section (systemd.socket(5)): what to listen on and how to hand connections to the
 * service. Defaults are systemd's.
 *
 * @param listens  every {@code Listen*=} in order (an empty assignment resets the list)
 * @param backlog  {@code Backlog=}; systemd's default SOMAXCONN-capped 4294967295 is stored as
 *                 {@link Integer#MAX_VALUE}
 * @param service  {@code Service=}, else empty: the service of the same name (a template with {@code Accept=yes})
 */
public record SocketSection(
        List<Listen> listens,
        boolean accept,
        int backlog,
        int socketMode,
        int directoryMode,
        Optional<String> socketUser,
        Optional<String> socketGroup,
        Optional<String> service,
        Optional<String> fileDescriptorName,
        int maxConnections,
        int maxConnectionsPerSource,
        String bindIpv6Only,
        boolean reusePort,
        boolean freeBind,
        boolean passCredentials,
        boolean passSecurity,
        boolean removeOnStop,
        boolean writable,
        List<String> symlinks,
        TimeSpan triggerLimitInterval,
        int triggerLimitBurst,
        TimeSpan timeout,
        Map<ExecKind, List<ExecCommand>> commands,
        ExecContext exec,
        KillContext kill,
        SocketOptions options) {

    /** The Exec*= lists of a socket. */
    public enum ExecKind {
        START_PRE("ExecStartPre"), START_POST("ExecStartPost"), STOP_PRE("ExecStopPre"), STOP_POST("ExecStopPost");

        private final String directive;

        ExecKind(String directive) {
            this.directive = directive;
        }

        public String directive() {
            return directive;
        }

        static Optional<ExecKind> forDirective(String key) {
            for (ExecKind k : values()) {
                if (k.directive.equals(key)) return Optional.of(k);
            }
            return Optional.empty();
        }
    }

    public SocketSection {
        listens = List.copyOf(listens);
        symlinks = List.copyOf(symlinks);
        var c = new EnumMap<ExecKind, List<ExecCommand>>(ExecKind.class);
        commands.forEach((k, v) -> c.put(k, List.copyOf(v)));
        commands = Collections.unmodifiableMap(c);
    }

    /** What systemd's socket_verify() refuses. */
    public List<String> problems() {
        var problems = new ArrayList<String>();
        if (listens.isEmpty()) problems.add("the socket has no Listen*= setting");
        if (accept && service.isPresent()) problems.add("Service= is not allowed with Accept=yes");
        if (accept && listens.stream().anyMatch(l -> l.kind() != Listen.Kind.STREAM
                && l.kind() != Listen.Kind.SEQUENTIAL_PACKET)) {
            problems.add("Accept=yes works only with stream and sequential packet sockets");
        }
        return problems;
    }

    /** Collects [Socket] assignments in file order. */
    static final class Builder {
        private final List<Listen> listens = new ArrayList<>();
        private boolean accept;
        private int backlog = Integer.MAX_VALUE;
        private int socketMode = 0666;
        private int directoryMode = 0755;
        private Optional<String> socketUser = Optional.empty();
        private Optional<String> socketGroup = Optional.empty();
        private Optional<String> service = Optional.empty();
        private Optional<String> fileDescriptorName = Optional.empty();
        private int maxConnections = 64;
        private int maxConnectionsPerSource;
        private String bindIpv6Only = "default";
        private boolean reusePort;
        private boolean freeBind;
        private boolean passCredentials;
        private boolean passSecurity;
        private boolean removeOnStop;
        private boolean writable;
        private final List<String> symlinks = new ArrayList<>();
        private TimeSpan triggerLimitInterval = TimeSpan.ofSeconds(2);
        private Optional<Integer> triggerLimitBurst = Optional.empty();
        private TimeSpan timeout = TimeSpan.ofSeconds(90);
        private final Map<ExecKind, List<ExecCommand>> commands = new EnumMap<>(ExecKind.class);
        private final ExecContext.Builder exec = new ExecContext.Builder();
        private final KillContext.Builder kill = new KillContext.Builder();
        private SocketOptions options = SocketOptions.DEFAULT;

        void set(String key, String value, Specifiers sp) throws InvalidValueException {
            if (exec.set(key, value, sp) || kill.set(key, value)) return;
            Optional<SocketOptions> option = SocketOptions.set(options, key, value);
            if (option.isPresent()) {
                options = option.get();
                return;
            }
            boolean empty = value.isEmpty();
            Optional<Listen.Kind> listen = Listen.Kind.forDirective(key);
            if (listen.isPresent()) {
                if (empty) listens.clear();
                else listens.add(Listen.parse(listen.get(), sp.expand(value)));
                return;
            }
            Optional<ExecKind> execKind = ExecKind.forDirective(key);
            if (execKind.isPresent()) {
                if (empty) commands.remove(execKind.get());
                else commands.computeIfAbsent(execKind.get(), k -> new ArrayList<>())
                        .addAll(CommandLine.parse(value, sp));
                return;
            }
            switch (key) {
                case "Accept" -> accept = !empty && Values.bool(value);
                case "Backlog" -> backlog = empty ? Integer.MAX_VALUE : Values.unsigned(value);
                case "SocketMode" -> socketMode = empty ? 0666 : Values.mode(value);
                case "DirectoryMode" -> directoryMode = empty ? 0755 : Values.mode(value);
                case "SocketUser" -> socketUser = empty ? Optional.empty()
                        : Optional.of(Values.userOrGroup(sp.expand(value)));
                case "SocketGroup" -> socketGroup = empty ? Optional.empty()
                        : Optional.of(Values.userOrGroup(sp.expand(value)));
                case "Service" -> service = empty ? Optional.empty() : Optional.of(service(sp.expand(value)));
                case "FileDescriptorName" -> fileDescriptorName = empty ? Optional.empty()
                        : Optional.of(fdName(sp.expand(value)));
                case "MaxConnections" -> maxConnections = empty ? 64 : Values.unsigned(value);
                case "MaxConnectionsPerSource" -> maxConnectionsPerSource = empty ? 0 : Values.unsigned(value);
                case "BindIPv6Only" -> bindIpv6Only = empty ? "default"
                        : Values.oneOf(value, List.of("default", "both", "ipv6-only"), "BindIPv6Only= value");
                case "ReusePort" -> reusePort = !empty && Values.bool(value);
                case "FreeBind" -> freeBind = !empty && Values.bool(value);
                case "PassCredentials" -> passCredentials = !empty && Values.bool(value);
                case "PassSecurity" -> passSecurity = !empty && Values.bool(value);
                case "RemoveOnStop" -> removeOnStop = !empty && Values.bool(value);
                case "Writable" -> writable = !empty && Values.bool(value);
                case "Symlinks" -> {
                    if (empty) symlinks.clear();
                    for (String word : Words.split(value)) symlinks.add(Values.absolutePath(sp.expand(word)));
                }
                case "TriggerLimitIntervalSec" -> triggerLimitInterval = empty ? TimeSpan.ofSeconds(2)
                        : TimeSpan.parse(value);
                case "TriggerLimitBurst" -> triggerLimitBurst = empty ? Optional.empty()
                        : Optional.of(Values.unsigned(value));
                case "TimeoutSec" -> timeout = empty ? TimeSpan.ofSeconds(90)
                        : UnitSection.fixZero(TimeSpan.parse(value));
                default -> throw new IllegalArgumentException("[Socket] " + key + " is not a typed directive");
            }
        }

        /** A service unit's name, or a service directory's (a name without a suffix: {@code Service=web}). */
        private static String service(String name) throws InvalidValueException {
            if (!name.contains(".") && UnitName.parse(name + ".service").isPresent()) return name + ".service";
            UnitName n = Values.unitName(name);
            if (n.type() != UnitType.SERVICE || n.isTemplate()) {
                throw new InvalidValueException("'" + name + "' is not a service name");
            }
            return name;
        }

        private static String fdName(String name) throws InvalidValueException {
            if (name.isEmpty() || name.length() > 255 || name.contains(":")
                    || name.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
                throw new InvalidValueException("'" + name + "' is not a valid file descriptor name");
            }
            return name;
        }

        SocketSection build() {
            return new SocketSection(listens, accept, backlog, socketMode, directoryMode, socketUser, socketGroup,
                    service, fileDescriptorName, maxConnections, maxConnectionsPerSource, bindIpv6Only, reusePort,
                    freeBind, passCredentials, passSecurity, removeOnStop, writable, symlinks, triggerLimitInterval,
                    triggerLimitBurst.orElse(accept ? 200 : 20), timeout, commands, exec.build(), kill.build(),
                    options);
        }
    }
}
