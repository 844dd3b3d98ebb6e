package vigil.reexec;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.control.Json;
import vigil.model.Credentials;
import vigil.model.RestartPolicy;
import vigil.os.ExitStatus;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceSnapshot.Phase;
import vigil.service.ServiceState;
import vigil.service.UnitSnapshot;
import vigil.service.UnitState;
import vigil.service.Want;

/**
 * {@link Handover} as JSON, both ways. The format is private to two builds of Vigil that follow each other, so it
 * carries a version: a new daemon that does not know the old one's format says so and stops, rather than guess.
 */
public final class HandoverCodec {
    /** Raised with every change of the format. */
    static final int VERSION = 3;
    /** The format before socket units and fd stores were handed over: read as one with none of either. */
    private static final int WITHOUT_SOCKETS = 2;

    private HandoverCodec() {}

    /** Something in the state that this build cannot read: what and where. */
    public static final class MalformedException extends Exception {
        MalformedException(String message) {
            super("re-exec state: " + message);
        }
    }

    public static String encode(Handover h) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", (long) VERSION);
        out.put("control_fd", h.controlFd().isPresent() ? (Object) (long) h.controlFd().getAsInt() : null);
        out.put("reply", h.reply().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fd", (long) r.fd());
            m.put("id", r.id());
            return (Object) m;
        }).orElse(null));
        List<Object> pairs = new ArrayList<>();
        for (Handover.Pair p : h.pairs()) pairs.add(pair(p));
        out.put("pairs", pairs);
        List<Object> units = new ArrayList<>();
        for (Handover.Unit u : h.units()) units.add(unit(u));
        out.put("units", units);
        List<Object> transients = new ArrayList<>();
        for (Handover.Transient t : h.transients()) transients.add(transientService(t));
        out.put("transients", transients);
        List<Object> sockets = new ArrayList<>();
        for (Handover.Socket so : h.sockets()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("unit", so.unit());
            m.put("fds", new ArrayList<Object>(so.fds().stream().map(fd -> (Object) (long) fd).toList()));
            m.put("running", so.running());
            m.put("accepted", so.accepted());
            sockets.add(m);
        }
        out.put("sockets", sockets);
        List<Object> stored = new ArrayList<>();
        for (Handover.StoredFd fd : h.fdStore()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("unit", fd.unit());
            m.put("fd", (long) fd.fd());
            m.put("name", fd.name());
            stored.add(m);
        }
        out.put("fd_store", stored);
        return Json.write(out);
    }

    private static Map<String, Object> unit(Handover.Unit u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", u.name());
        m.put("state", unitSnapshot(u.state()));
        m.put("log", logPipe(u.log()));
        m.put("notify_fd", u.notifyFd().isPresent() ? (Object) (long) u.notifyFd().getAsInt() : null);
        return m;
    }

    private static Map<String, Object> unitSnapshot(UnitSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", s.state().name());
        m.put("since", s.sinceNanos());
        m.put("result", s.result().name());
        m.put("reload_result", s.reloadResult().name());
        m.put("want", s.want().name());
        m.put("main", s.main().map(p -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("pid", (long) p.pid());
            x.put("start_ticks", p.startTicks());
            return (Object) x;
        }).orElse(null));
        m.put("main_group", (long) s.mainGroup());
        m.put("main_exit", s.mainExit().map(e -> (Object) exit(e)).orElse(null));
        m.put("control_exit", s.controlExit().map(e -> (Object) exit(e)).orElse(null));
        m.put("restarts", (long) s.restarts());
        m.put("recent_starts", new ArrayList<Object>(s.recentStarts()));
        m.put("status_text", s.statusText());
        m.put("errno", s.errno().isPresent() ? (Object) (long) s.errno().getAsInt() : null);
        m.put("restart_due", s.restartDue());
        return m;
    }

    private static Map<String, Object> transientService(Handover.Transient t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("owner", (long) t.owner());
        m.put("executable", t.executable());
        m.put("argv", new ArrayList<Object>(t.argv()));
        m.put("cwd", t.cwd());
        m.put("environment", new LinkedHashMap<String, Object>(t.environment()));
        m.put("user", t.user().map(c -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("uid", (long) c.uid());
            x.put("gid", (long) c.gid());
            x.put("groups", new ArrayList<Object>(c.groups().stream().map(g -> (Object) (long) g).toList()));
            return (Object) x;
        }).orElse(null));
        m.put("restart", t.restart().name());
        return m;
    }

    private static Map<String, Object> logPipe(Handover.LogPipe log) {
        Map<String, Object> m = fdPair(log.readFd(), log.writeFd());
        m.put("partial", Base64.getEncoder().encodeToString(log.partial()));
        return m;
    }

    private static Map<String, Object> exit(ExitStatus e) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("code", (long) e.code());
        x.put("signal", (long) e.signal());
        x.put("core", e.coreDumped());
        return x;
    }

    private static Map<String, Object> pair(Handover.Pair p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("directory", p.directory());
        m.put("main", snapshot(p.main()));
        m.put("logger", p.logger().map(s -> (Object) snapshot(s)).orElse(null));
        m.put("pipe", p.pipe().map(f -> (Object) fdPair(f.readFd(), f.writeFd())).orElse(null));
        m.put("log", logPipe(p.log()));
        m.put("supervise", p.superviseMain().map(s -> (Object) supervise(s)).orElse(null));
        m.put("logger_supervise", p.superviseLogger().map(s -> (Object) supervise(s)).orElse(null));
        return m;
    }

    private static Map<String, Object> fdPair(int read, int write) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("read", (long) read);
        m.put("write", (long) write);
        return m;
    }

    private static Map<String, Object> supervise(Handover.Supervise s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("directory", s.directory());
        m.put("lock", (long) s.lockFd());
        m.put("control", (long) s.controlFd());
        m.put("ok", (long) s.okFd());
        m.put("stamp_seconds", s.stamp().getEpochSecond());
        m.put("stamp_nanos", (long) s.stamp().getNano());
        m.put("last_pid", (long) s.lastPid());
        m.put("last_state", s.lastState().name());
        return m;
    }

    private static Map<String, Object> snapshot(ServiceSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (s.phase()) {
            case Phase.Down d -> {
                m.put("phase", "down");
                m.put("since", d.sinceNanos());
            }
            case Phase.Up u -> {
                m.put("phase", "up");
                m.put("pid", (long) u.pid());
                m.put("since", u.sinceNanos());
                m.put("ready", u.ready());
            }
            case Phase.BackingOff b -> {
                m.put("phase", "backing-off");
                m.put("until", b.untilNanos());
            }
        }
        m.put("want", s.want().name());
        m.put("paused", s.paused());
        m.put("got_term", s.gotTerm());
        m.put("backoff_nanos", s.backoff().toNanos());
        m.put("restarts", (long) s.restarts());
        m.put("last_exit", s.lastExit().map(e -> (Object) exit(e)).orElse(null));
        return m;
    }

    // ---- decoding ----

    public static Handover decode(String text) throws MalformedException {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new MalformedException("not JSON: " + e.getMessage());
        }
        Fields top = Fields.of(parsed, "the state");
        long version = top.number("version");
        if (version != VERSION && version != WITHOUT_SOCKETS) {
            throw new MalformedException("format " + version + ", and this build reads format " + VERSION
                    + " only");
        }
        OptionalInt control = top.has("control_fd") ? OptionalInt.of(top.fd("control_fd")) : OptionalInt.empty();
        Optional<Handover.Reply> reply = Optional.empty();
        if (top.has("reply")) {
            Fields r = top.object("reply");
            reply = Optional.of(new Handover.Reply(r.fd("fd"), r.map.get("id")));
        }
        List<Handover.Pair> pairs = new ArrayList<>();
        for (Object p : top.list("pairs")) pairs.add(pair(Fields.of(p, "a pair")));
        List<Handover.Unit> units = new ArrayList<>();
        for (Object u : top.list("units")) units.add(unit(Fields.of(u, "a unit")));
        List<Handover.Transient> transients = new ArrayList<>();
        for (Object t : top.list("transients")) transients.add(transientService(Fields.of(t, "a transient service")));
        List<Handover.Socket> sockets = new ArrayList<>();
        List<Handover.StoredFd> stored = new ArrayList<>();
        if (version != WITHOUT_SOCKETS) {
            for (Object so : top.list("sockets")) {
                Fields f = Fields.of(so, "a socket unit");
                List<Integer> fds = new ArrayList<>();
                for (Object fd : f.list("fds")) {
                    if (!(fd instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                        throw new MalformedException("a socket unit: fds holds " + fd + ", not an fd");
                    }
                    fds.add((int) (long) n);
                }
                sockets.add(new Handover.Socket(f.string("unit"), fds, f.bool("running"), f.number("accepted")));
            }
            for (Object fd : top.list("fd_store")) {
                Fields f = Fields.of(fd, "a stored fd");
                stored.add(new Handover.StoredFd(f.string("unit"), f.fd("fd"), f.string("name")));
            }
        }
        return new Handover(control, reply, pairs, units, transients, sockets, stored);
    }

    private static Handover.Unit unit(Fields u) throws MalformedException {
        return new Handover.Unit(u.string("name"), unitSnapshot(u.object("state")), logPipe(u.object("log")),
                u.has("notify_fd") ? OptionalInt.of(u.fd("notify_fd")) : OptionalInt.empty());
    }

    private static UnitSnapshot unitSnapshot(Fields s) throws MalformedException {
        Optional<UnitSnapshot.Main> main = Optional.empty();
        if (s.has("main")) {
            Fields m = s.object("main");
            main = Optional.of(new UnitSnapshot.Main(m.fd("pid"), m.number("start_ticks")));
        }
        List<Long> recent = new ArrayList<>();
        for (Object o : s.list("recent_starts")) {
            if (!(o instanceof Long n)) throw new MalformedException(s.what() + ": recent_starts holds a non-integer");
            recent.add(n);
        }
        return new UnitSnapshot(s.enumValue("state", UnitState.class), s.number("since"),
                s.enumValue("result", UnitState.Result.class), s.enumValue("reload_result", UnitState.Result.class),
                s.enumValue("want", Want.class), main, s.fd("main_group"),
                s.has("main_exit") ? Optional.of(exit(s.object("main_exit"))) : Optional.empty(),
                s.has("control_exit") ? Optional.of(exit(s.object("control_exit"))) : Optional.empty(),
                (int) s.number("restarts"), recent, s.string("status_text"),
                s.has("errno") ? OptionalInt.of((int) s.number("errno")) : OptionalInt.empty(),
                s.number("restart_due"));
    }

    private static Handover.Transient transientService(Fields t) throws MalformedException {
        String name = t.string("name");
        List<String> argv = new ArrayList<>();
        for (Object o : t.list("argv")) {
            if (!(o instanceof String a)) throw new MalformedException(name + ": argv holds a non-string");
            argv.add(a);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : t.object("environment").map().entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new MalformedException(name + ": environment " + e.getKey() + " is not a string");
            }
            env.put((String) e.getKey(), v);
        }
        Optional<Credentials> user = Optional.empty();
        if (t.has("user")) {
            Fields u = t.object("user");
            List<Integer> groups = new ArrayList<>();
            for (Object o : u.list("groups")) {
                if (!(o instanceof Long g)) throw new MalformedException(name + ": user.groups holds a non-integer");
                groups.add(g.intValue());
            }
            user = Optional.of(new Credentials(u.fd("uid"), u.fd("gid"), groups));
        }
        return new Handover.Transient(name, t.fd("owner"), t.string("executable"), argv, t.string("cwd"), env, user,
                t.enumValue("restart", RestartPolicy.When.class));
    }

    private static Handover.LogPipe logPipe(Fields log) throws MalformedException {
        byte[] partial;
        try {
            partial = Base64.getDecoder().decode(log.string("partial"));
        } catch (IllegalArgumentException e) {
            throw new MalformedException(log.what() + ": partial: " + e.getMessage());
        }
        return new Handover.LogPipe(log.fd("read"), log.fd("write"), partial);
    }

    private static ExitStatus exit(Fields x) throws MalformedException {
        return new ExitStatus((int) x.number("code"), (int) x.number("signal"), x.bool("core"));
    }

    private static Handover.Pair pair(Fields p) throws MalformedException {
        String name = p.string("name");
        Optional<Handover.PipeFds> pipe = Optional.empty();
        if (p.has("pipe")) {
            Fields f = p.object("pipe");
            pipe = Optional.of(new Handover.PipeFds(f.fdOrClosed("read"), f.fdOrClosed("write")));
        }
        return new Handover.Pair(name, p.string("directory"), snapshot(p.object("main")),
                p.has("logger") ? Optional.of(snapshot(p.object("logger"))) : Optional.empty(), pipe,
                logPipe(p.object("log")),
                p.has("supervise") ? Optional.of(supervise(p.object("supervise"))) : Optional.empty(),
                p.has("logger_supervise") ? Optional.of(supervise(p.object("logger_supervise")))
                        : Optional.empty());
    }

    private static Handover.Supervise supervise(Fields s) throws MalformedException {
        return new Handover.Supervise(s.string("directory"), s.fd("lock"), s.fd("control"), s.fdOrClosed("ok"),
                Instant.ofEpochSecond(s.number("stamp_seconds"), s.number("stamp_nanos")),
                (int) s.number("last_pid"), s.enumValue("last_state", ServiceState.Runit.class));
    }

    private static ServiceSnapshot snapshot(Fields s) throws MalformedException {
        String phaseName = s.string("phase");
        Phase phase = switch (phaseName) {
            case "down" -> new Phase.Down(s.number("since"));
            case "up" -> new Phase.Up(s.fd("pid"), s.number("since"), s.bool("ready"));
            case "backing-off" -> new Phase.BackingOff(s.number("until"));
            default -> throw new MalformedException("unknown phase \"" + phaseName + "\"");
        };
        Optional<ExitStatus> lastExit = Optional.empty();
        if (s.has("last_exit")) lastExit = Optional.of(exit(s.object("last_exit")));
        return new ServiceSnapshot(phase, s.enumValue("want", Want.class), s.bool("paused"), s.bool("got_term"),
                Duration.ofNanos(s.number("backoff_nanos")), (int) s.number("restarts"), lastExit);
    }

    /** One JSON object, read with errors that name the field. */
    private record Fields(Map<?, ?> map, String what) {
        static Fields of(Object value, String what) throws MalformedException {
            if (!(value instanceof Map<?, ?> m)) throw new MalformedException(what + " is not an object");
            return new Fields(m, what);
        }

        boolean has(String key) {
            return map.get(key) != null;
        }

        private Object get(String key) throws MalformedException {
            Object v = map.get(key);
            if (v == null) throw new MalformedException(what + ": " + key + " is missing");
            return v;
        }

        long number(String key) throws MalformedException {
            if (!(get(key) instanceof Long n)) throw new MalformedException(what + ": " + key + " is not an integer");
            return n;
        }

        /** A non-negative int: an fd or a pid. */
        int fd(String key) throws MalformedException {
            long n = number(key);
            if (n < 0 || n > Integer.MAX_VALUE) throw new MalformedException(what + ": " + key + " is out of range");
            return (int) n;
        }

        /** An fd, or -1 for one that is closed. */
        int fdOrClosed(String key) throws MalformedException {
            return number(key) == -1 ? -1 : fd(key);
        }

        boolean bool(String key) throws MalformedException {
            if (!(get(key) instanceof Boolean b)) throw new MalformedException(what + ": " + key + " is not a boolean");
            return b;
        }

        String string(String key) throws MalformedException {
            if (!(get(key) instanceof String s)) throw new MalformedException(what + ": " + key + " is not a string");
            return s;
        }

        Fields object(String key) throws MalformedException {
            return Fields.of(get(key), what + "." + key);
        }

        List<?> list(String key) throws MalformedException {
            if (!(get(key) instanceof List<?> l)) throw new MalformedException(what + ": " + key + " is not a list");
            return l;
        }

        <E extends Enum<E>> E enumValue(String key, Class<E> type) throws MalformedException {
            String name = string(key);
            try {
                return Enum.valueOf(type, name);
            } catch (IllegalArgumentException e) {
                throw new MalformedException(what + ": " + key + " \"" + name + "\" is unknown");
            }
        }
    }
}
