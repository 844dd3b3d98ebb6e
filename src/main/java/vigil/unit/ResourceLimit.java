package vigil.unit;

import java.util.Optional;

/**
 * A soft and hard resource limit from a {@code Limit*=} directive, in the resource's own unit (bytes, seconds,
 * microseconds or a count); {@link #INFINITY} is RLIM_INFINITY.
 */
public record ResourceLimit(long soft, long hard) {
    /** RLIM_INFINITY, all bits set, as the kernel and vigil-exec take it. */
    public static final long INFINITY = -1L;

    /** The resources, in setrlimit(2) numbering, with the unit each directive's value is in. */
    public enum Resource {
        CPU(0, "LimitCPU", Unit.SECONDS), FSIZE(1, "LimitFSIZE", Unit.BYTES), DATA(2, "LimitDATA", Unit.BYTES),
        STACK(3, "LimitSTACK", Unit.BYTES), CORE(4, "LimitCORE", Unit.BYTES), RSS(5, "LimitRSS", Unit.BYTES),
        NPROC(6, "LimitNPROC", Unit.COUNT), NOFILE(7, "LimitNOFILE", Unit.COUNT),
        MEMLOCK(8, "LimitMEMLOCK", Unit.BYTES), AS(9, "LimitAS", Unit.BYTES), LOCKS(10, "LimitLOCKS", Unit.COUNT),
        SIGPENDING(11, "LimitSIGPENDING", Unit.COUNT), MSGQUEUE(12, "LimitMSGQUEUE", Unit.BYTES),
        NICE(13, "LimitNICE", Unit.NICE), RTPRIO(14, "LimitRTPRIO", Unit.COUNT),
        RTTIME(15, "LimitRTTIME", Unit.MICROSECONDS);

        private final int number;
        private final String directive;
        private final Unit unit;

        Resource(int number, String directive, Unit unit) {
            this.number = number;
            this.directive = directive;
            this.unit = unit;
        }

        /** The RLIMIT_* constant. */
        public int number() {
            return number;
        }

        public String directive() {
            return directive;
        }

        public static Optional<Resource> forDirective(String key) {
            for (Resource r : values()) {
                if (r.directive.equals(key)) return Optional.of(r);
            }
            return Optional.empty();
        }
    }

    private enum Unit { SECONDS, MICROSECONDS, BYTES, COUNT, NICE }

    /** Parses {@code VALUE} (both limits) or {@code SOFT:HARD}; each part may be {@code infinity}. */
    static ResourceLimit parse(Resource resource, String value) throws InvalidValueException {
        int colon = value.indexOf(':');
        long soft = one(resource, colon < 0 ? value : value.substring(0, colon));
        long hard = colon < 0 ? soft : one(resource, value.substring(colon + 1));
        if (Long.compareUnsigned(soft, hard) > 0) {
            throw new InvalidValueException("soft limit " + soft + " is above the hard limit " + hard);
        }
        return new ResourceLimit(soft, hard);
    }

    private static long one(Resource resource, String text) throws InvalidValueException {
        String v = Parser.strip(text);
        if (v.equals("infinity")) return INFINITY;
        return switch (resource.unit) {
            case SECONDS -> {
                TimeSpan t = TimeSpan.parse(v);
                yield t.isInfinite() ? INFINITY : (t.micros() + 999_999) / 1_000_000;
            }
            case MICROSECONDS -> {
                TimeSpan t = TimeSpan.parse(v, 1);
                yield t.isInfinite() ? INFINITY : t.micros();
            }
            case BYTES -> Values.size(v);
            case COUNT -> Values.integer(v, 0, Long.MAX_VALUE);
            case NICE -> v.startsWith("+") || v.startsWith("-")
                    ? 20 - Values.integer(v, -20, 19)
                    : Values.integer(v, 0, 40);
        };
    }
}
