package vigil.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control protocol's fixed parts, shared by the daemon and the CLI: its version, the error codes, and the
 * shape of replies. One JSON object per line each way; see docs/control-protocol.md.
 */
public final class Protocol {
    private Protocol() {}

    /** The version this build speaks; a request must carry it as {@code "v"}. */
    public static final int VERSION = 1;

    /** The longest request line the daemon reads, newline excluded; a longer one is answered and cut off. */
    public static final int MAX_LINE = 64 * 1024;

    /** Why a request failed: the {@code "error"} of a reply, and the CLI's exit code for it. */
    public enum Error {
        /** Not JSON, not an object, an unknown command or field, a field of the wrong type. */
        BAD_REQUEST("bad-request", 2),
        /** A request line longer than {@link #MAX_LINE}; the daemon closes the connection after saying so. */
        TOO_LONG("too-long", 2),
        UNKNOWN_SERVICE("unknown-service", 4),
        /** The caller's uid may not do this; the message says which permission is missing. */
        PERMISSION_DENIED("permission-denied", 1),
        /** A transient service's name is taken. */
        EXISTS("exists", 1),
        /** The caller has as many of something (transient services) as the daemon allows one user. */
        LIMIT("limit", 1),
        /** The service is not running (and the request needed it to be). */
        NOT_RUNNING("not-running", 3),
        /** What was waited for did not happen in time. */
        TIMEOUT("timeout", 1),
        /** The service could not do what was asked: it failed to start, or died while starting. */
        FAILED("failed", 1),
        /** The daemon is stopping every service and takes no more orders. */
        SHUTTING_DOWN("shutting-down", 1),
        /**
         * The daemon will not hold more for this user: too many connections from its uid, or the buffers kept for
         * users other than root are full, or it is out of fds. The connection is closed after saying so.
         */
        BUSY("busy", 1);

        private final String code;
        private final int exitCode;

        Error(String code, int exitCode) {
            this.code = code;
            this.exitCode = exitCode;
        }

        public String code() {
            return code;
        }

        /** The CLI's exit code: 2 usage, 3 not running, 4 unknown service, 1 anything else. */
        public int exitCode() {
            return exitCode;
        }

        /** The error of a code, or FAILED for codes this build does not know (a newer daemon). */
        public static Error of(String code) {
            for (Error e : values()) if (e.code.equals(code)) return e;
            return FAILED;
        }
    }

    /** A request that cannot be carried out, with the reason for the person who asked. */
    public static final class Failure extends Exception {
        private final Error error;

        public Failure(Error error, String message) {
            super(message);
            this.error = error;
        }

        public Error error() {
            return error;
        }
    }

    /** {"v":1,"id":ID,"ok":true} with room for more fields; the id is left out when the request had none. */
    public static Map<String, Object> ok(Object id) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("v", VERSION);
        if (id != null) reply.put("id", id);
        reply.put("ok", true);
        return reply;
    }

    /** {"v":1,"id":ID,"ok":false,"error":CODE,"message":TEXT}. */
    public static Map<String, Object> error(Object id, Error error, String message) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("v", VERSION);
        if (id != null) reply.put("id", id);
        reply.put("ok", false);
        reply.put("error", error.code());
        reply.put("message", message);
        return reply;
    }
}
