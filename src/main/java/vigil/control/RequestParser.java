package vigil.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.control.Request.Action;
import vigil.model.RestartPolicy;
import vigil.os.Ending;
import vigil.os.Signals;

/**
 * Turns a parsed JSON object into a {@link Request}, strictly: every field must be known for its command and of
 * the right type, so a typo is an error rather than a silently ignored option.
 */
public final class RequestParser {
    private RequestParser() {}

    /** Fields every request may carry. */
    private static final Set<String> COMMON = Set.of("v", "id", "cmd");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Longer than anyone waits at a terminal, short enough that arithmetic on it cannot overflow. */
    private static final double MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

    /** The request's id, if it has one that can be echoed (a string or a number). */
    public static Object id(Object json) {
        if (json instanceof Map<?, ?> map) {
            Object id = map.get("id");
            if (id instanceof String || id instanceof Long || id instanceof Double) return id;
        }
        return null;
    }

    public static Request parse(Object json) throws Failure {
        if (!(json instanceof Map<?, ?> raw)) throw bad("a request is a JSON object");
        Map<String, Object> map = new LinkedHashMap<>();
        raw.forEach((k, v) -> map.put((String) k, v));
        Object v = map.get("v");
        if (v == null) throw bad("missing \"v\": say {\"v\":" + Protocol.VERSION + ",...}");
        if (!(v instanceof Long version) || version != Protocol.VERSION) {
            throw bad("protocol version " + Json.write(v) + " is not spoken here; this daemon speaks "
                    + Protocol.VERSION);
        }
        Object id = map.get("id");
        if (id != null && !(id instanceof String) && !(id instanceof Long) && !(id instanceof Double)) {
            throw bad("\"id\" must be a string or a number");
        }
        String cmd = string(map, "cmd").orElseThrow(() -> bad("missing \"cmd\""));
        Fields f = new Fields(cmd, map);
        Request request = switch (cmd) {
            case "hello" -> new Request.Hello();
            case "status" -> new Request.Status(f.names());
            case "start" -> f.act(Action.START, true);
            case "stop" -> f.withForce(f.act(Action.STOP, true));
            case "restart" -> f.act(Action.RESTART, true);
            case "try-restart" -> f.act(Action.TRY_RESTART, true);
            case "once" -> f.act(Action.ONCE, true);
            case "kill" -> f.withWhom(f.act(Action.KILL, false));
            case "pause" -> f.act(Action.PAUSE, false);
            case "cont" -> f.act(Action.CONT, false);
            case "signal" -> f.withWhom(f.signal());
            case "wait" -> f.waitFor();
            case "add" -> f.add();
            case "remove" -> new Request.Remove(f.name(), f.bool("wait"), f.timeout().orElse(DEFAULT_TIMEOUT));
            case "rescan" -> new Request.Rescan();
            case "list-sockets" -> new Request.ListSockets();
            case "rotate" -> new Request.Rotate(f.name());
            case "reload" -> new Request.Reload(f.name());
            case "isolate" -> new Request.Isolate(f.name());
            case "reset-failed" -> new Request.ResetFailed(f.name());
            case "daemon-reload" -> new Request.DaemonReload();
            case "daemon-reexec" -> new Request.DaemonReexec();
            case "shutdown" -> f.shutdown();
            case "subscribe" -> new Request.Subscribe(f.names());
            case "units" -> new Request.Units(f.names());
            case "jobs" -> new Request.Jobs();
            default -> throw bad("unknown command \"" + cmd + "\"; known: hello, status, start, stop, restart, "
                    + "once, kill, signal, pause, cont, wait, add, remove, rescan, list-sockets, rotate, reload, "
                    + "isolate, reset-failed, daemon-reload, daemon-reexec, shutdown, subscribe, units, jobs");
        };
        f.checkAllUsed();
        return request;
    }

    private static Failure bad(String message) {
        return new Failure(Error.BAD_REQUEST, message);
    }

    private static Optional<String> string(Map<String, Object> map, String key) throws Failure {
        Object value = map.get(key);
        if (value == null) return Optional.empty();
        if (!(value instanceof String s)) throw bad("\"" + key + "\" must be a string");
        return Optional.of(s);
    }

    /** The fields of one request; remembers which were read, so unknown ones can be refused. */
    private static final class Fields {
        final String cmd;
        final Map<String, Object> map;
        final Set<String> used = new java.util.HashSet<>(COMMON);

        Fields(String cmd, Map<String, Object> map) {
            this.cmd = cmd;
            this.map = map;
        }

        void checkAllUsed() throws Failure {
            for (String key : map.keySet()) {
                if (!used.contains(key)) throw bad("unknown field \"" + key + "\" for \"" + cmd + "\"");
            }
        }

        Optional<String> optionalString(String key) throws Failure {
            used.add(key);
            return string(map, key);
        }

        Request.Shutdown shutdown() throws Failure {
            Optional<String> then = optionalString("then");
            if (then.isEmpty()) return new Request.Shutdown(Optional.empty());
            Ending ending = Ending.parse(then.get()).orElseThrow(() -> bad("\"then\" must be poweroff, reboot or "
                    + "halt, not \"" + then.get() + "\""));
            return new Request.Shutdown(Optional.of(ending));
        }

        String name() throws Failure {
            String name = optionalString("name").orElseThrow(() -> bad("\"" + cmd + "\" needs \"name\""));
            if (name.isEmpty()) throw bad("\"name\" must not be empty");
            return name;
        }

        List<String> strings(String key) throws Failure {
            used.add(key);
            Object value = map.get(key);
            if (value == null) return List.of();
            if (!(value instanceof List<?> list)) throw bad("\"" + key + "\" must be a list of strings");
            List<String> out = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof String s)) throw bad("\"" + key + "\" must be a list of strings");
                out.add(s);
            }
            return out;
        }

        List<String> names() throws Failure {
            return strings("names");
        }

        boolean bool(String key) throws Failure {
            used.add(key);
            Object value = map.get(key);
            if (value == null) return false;
            if (!(value instanceof Boolean b)) throw bad("\"" + key + "\" must be true or false");
            return b;
        }

        Optional<Duration> timeout() throws Failure {
            used.add("timeout");
            Object value = map.get("timeout");
            if (value == null) return Optional.empty();
            double seconds;
            if (value instanceof Long l) seconds = l;
            else if (value instanceof Double d) seconds = d;
            else throw bad("\"timeout\" must be a number of seconds");
            if (!(seconds >= 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
                throw bad("\"timeout\" must be between 0 and " + (long) MAX_TIMEOUT_SECONDS + " seconds");
            }
            return Optional.of(Duration.ofNanos((long) (seconds * 1e9)));
        }

        Request.Act act(Action action, boolean mayWait) throws Failure {
            String name = name();
            if (!mayWait) return new Request.Act(action, name, 0, false, DEFAULT_TIMEOUT);
            return new Request.Act(action, name, 0, bool("wait"), timeout().orElse(DEFAULT_TIMEOUT));
        }

        /** The act with its optional "whom": main, control or all (the default). */
        Request.Act withWhom(Request.Act act) throws Failure {
            Request.Whom whom = switch (optionalString("whom").orElse("all")) {
                case "main" -> Request.Whom.MAIN;
                case "control" -> Request.Whom.CONTROL;
                case "all" -> Request.Whom.ALL;
                default -> throw bad("\"whom\" must be main, control or all");
            };
            return new Request.Act(act.action(), act.name(), act.signal(), act.await(), act.timeout(), whom);
        }

        /** The stop with its optional "force": kill at once what is stopping already. */
        Request.Act withForce(Request.Act act) throws Failure {
            return new Request.Act(act.action(), act.name(), act.signal(), act.await(), act.timeout(), act.whom(),
                    bool("force"));
        }

        Request.Act signal() throws Failure {
            String name = name();
            used.add("signal");
            Object value = map.get("signal");
            OptionalInt signal;
            if (value instanceof String s) signal = Signals.parse(s);
            else if (value instanceof Long n && n >= 1 && n <= 64) signal = OptionalInt.of(n.intValue());
            else if (value == null) throw bad("\"signal\" needs \"signal\": a name like \"HUP\" or a number");
            else signal = OptionalInt.empty();
            if (signal.isEmpty()) throw bad("unknown signal " + Json.write(value));
            return new Request.Act(Action.SIGNAL, name, signal.getAsInt(), false, DEFAULT_TIMEOUT);
        }

        Request.Wait waitFor() throws Failure {
            String name = name();
            String until = optionalString("until")
                    .orElseThrow(() -> bad("\"wait\" needs \"until\": up, ready or down"));
            Request.Until u = switch (until) {
                case "up" -> Request.Until.UP;
                case "ready" -> Request.Until.READY;
                case "down" -> Request.Until.DOWN;
                default -> throw bad("\"until\" must be up, ready or down, not \"" + until + "\"");
            };
            return new Request.Wait(name, u, timeout());
        }

        Request.Add add() throws Failure {
            String name = name();
            List<String> argv = strings("argv");
            if (argv.isEmpty()) throw bad("\"add\" needs \"argv\": the command and its arguments");
            for (String arg : argv) osString(name, "argv", arg);
            String program = osString(name, "program", optionalString("program").orElse(argv.getFirst()));
            used.add("env");
            Map<String, String> env = new LinkedHashMap<>();
            Object rawEnv = map.get("env");
            if (rawEnv != null) {
                if (!(rawEnv instanceof Map<?, ?> envMap)) throw bad("\"env\" must be an object of strings");
                for (Map.Entry<?, ?> e : envMap.entrySet()) {
                    String key = (String) e.getKey();
                    if (!(e.getValue() instanceof String value)) throw bad("\"env\" must be an object of strings");
                    if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                        throw bad("bad environment variable name \"" + key + "\"");
                    }
                    env.put(key, osString(name, "env", value));
                }
            }
            String cwd = osString(name, "cwd", optionalString("cwd").orElse("/"));
            String restart = optionalString("restart").orElse("always");
            RestartPolicy.When when = switch (restart.toLowerCase(Locale.ROOT)) {
                case "always" -> RestartPolicy.When.ALWAYS;
                case "on-failure" -> RestartPolicy.When.ON_FAILURE;
                case "no", "never" -> RestartPolicy.When.NEVER;
                default -> throw bad("\"restart\" must be always, on-failure or no, not \"" + restart + "\"");
            };
            Optional<String> user = optionalString("user");
            if (user.isPresent()) osString(name, "user", user.get());
            return new Request.Add(name, program, argv, env, cwd, when, user);
        }

        /**
         * {@code value} if the kernel can take it as a C string, in UTF-8: no NUL (it would end the string, or
         * make a path invalid) and no lone surrogate (it has no UTF-8 form).
         */
        private static String osString(String service, String field, String value) throws Failure {
            if (value.indexOf('\0') >= 0) throw bad(service + ": \"" + field + "\" must not contain NUL");
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1));
                if (paired) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw bad(service + ": \"" + field + "\" must be valid Unicode (a lone surrogate)");
                }
            }
            return value;
        }
    }
}
