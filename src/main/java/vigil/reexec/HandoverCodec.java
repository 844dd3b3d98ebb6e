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
import vigil.os.ExitStatus;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceSnapshot.Phase;
import vigil.service.ServiceState;
import vigil.service.Want;

/**
 * {@link Handover} as JSON, both ways. The format is private to two builds of Vigil that follow each other, so it
 * carries a version: a new daemon that does not know the old one's format says so and stops, rather than guess.
 */
public final class HandoverCodec {
    /** Raised with every change of the format. */
    static final int VERSION = 1;

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
        return Json.write(out);
    }

    private static Map<String, Object> pair(Handover.Pair p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("directory", p.directory());
        m.put("main", snapshot(p.main()));
        m.put("logger", p.logger().map(s -> (Object) snapshot(s)).orElse(null));
        m.put("pipe", p.pipe().map(f -> (Object) fdPair(f.readFd(), f.writeFd())).orElse(null));
        Map<String, Object> log = fdPair(p.log().readFd(), p.log().writeFd());
        log.put("partial", Base64.getEncoder().encodeToString(p.log().partial()));
        m.put("log", log);
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
        m.put("last_exit", s.lastExit().map(e -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("code", (long) e.code());
            x.put("signal", (long) e.signal());
            x.put("core", e.coreDumped());
            return (Object) x;
        }).orElse(null));
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
        if (version != VERSION) {
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
        return new Handover(control, reply, pairs);
    }

    private static Handover.Pair pair(Fields p) throws MalformedException {
        String name = p.string("name");
        Fields log = p.object("log");
        byte[] partial;
        try {
            partial = Base64.getDecoder().decode(log.string("partial"));
        } catch (IllegalArgumentException e) {
            throw new MalformedException(name + ": partial: " + e.getMessage());
        }
        Optional<Handover.PipeFds> pipe = Optional.empty();
        if (p.has("pipe")) {
            Fields f = p.object("pipe");
            pipe = Optional.of(new Handover.PipeFds(f.fdOrClosed("read"), f.fdOrClosed("write")));
        }
        return new Handover.Pair(name, p.string("directory"), snapshot(p.object("main")),
                p.has("logger") ? Optional.of(snapshot(p.object("logger"))) : Optional.empty(), pipe,
                new Handover.LogPipe(log.fd("read"), log.fd("write"), partial),
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
        if (s.has("last_exit")) {
            Fields x = s.object("last_exit");
            lastExit = Optional.of(new ExitStatus((int) x.number("code"), (int) x.number("signal"), x.bool("core")));
        }
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
