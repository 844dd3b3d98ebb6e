package vigil.service;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.UnitSpec.NotifyAccess;

/**
 * What one sd_notify message asks of a unit (sd_notify(3)), read from its fields: the values parsed, a malformed one
 * dropped as systemd drops it. Pure: {@link UnitService#notify} decides what each means in the unit's state.
 *
 * @param mainPid        {@code MAINPID=}, if it names a pid
 * @param status         {@code STATUS=}
 * @param errno          {@code ERRNO=}, if a number
 * @param watchdogUsec   {@code WATCHDOG_USEC=}, if a positive number of microseconds: the new watchdog interval
 * @param watchdog       {@code WATCHDOG=}: a ping, a trigger, or neither
 * @param reloading      {@code RELOADING=1}
 * @param ready          {@code READY=1}
 * @param stopping       {@code STOPPING=1}
 * @param extendTimeout  {@code EXTEND_TIMEOUT_USEC=}, if a positive number of microseconds
 */
record UnitNotification(OptionalInt mainPid, Optional<String> status, OptionalInt errno,
                        Optional<Duration> watchdogUsec, Watchdog watchdog, boolean reloading, boolean ready,
                        boolean stopping, Optional<Duration> extendTimeout) {

    /** {@code WATCHDOG=1} keeps the watchdog from firing; {@code WATCHDOG=trigger} fires it now. */
    enum Watchdog { NONE, PING, TRIGGER }

    static UnitNotification of(Map<String, String> fields) {
        String mainPid = fields.get("MAINPID");
        int pid = mainPid == null ? 0 : parsePid(mainPid);
        String watchdog = fields.get("WATCHDOG");
        String extend = fields.get("EXTEND_TIMEOUT_USEC");
        String usec = fields.get("WATCHDOG_USEC");
        return new UnitNotification(pid > 0 ? OptionalInt.of(pid) : OptionalInt.empty(),
                Optional.ofNullable(fields.get("STATUS")), parseErrno(fields.get("ERRNO")),
                usec == null ? Optional.empty() : parseMicros(usec),
                "1".equals(watchdog) ? Watchdog.PING : "trigger".equals(watchdog) ? Watchdog.TRIGGER : Watchdog.NONE,
                "1".equals(fields.get("RELOADING")), "1".equals(fields.get("READY")),
                "1".equals(fields.get("STOPPING")), extend == null ? Optional.empty() : parseMicros(extend));
    }

    /**
     * Whether {@code NotifyAccess=} lets {@code senderPid} speak for the unit.
     *
     * @param mainPid    the unit's main process, or 0
     * @param controlPid its control process, or 0
     */
    static boolean heard(NotifyAccess access, int senderPid, int mainPid, int controlPid) {
        return switch (access) {
            case NONE -> false;
            case MAIN -> mainPid != 0 && mainPid == senderPid;
            case EXEC -> (mainPid != 0 && mainPid == senderPid) || (controlPid != 0 && controlPid == senderPid);
            case ALL -> true;
        };
    }

    private static int parsePid(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static OptionalInt parseErrno(String text) {
        if (text == null) return OptionalInt.empty();
        try {
            return OptionalInt.of(Integer.parseInt(text.strip()));
        } catch (NumberFormatException e) {
            // A malformed value is ignored, as systemd ignores it.
            return OptionalInt.empty();
        }
    }

    private static Optional<Duration> parseMicros(String text) {
        try {
            long us = Long.parseLong(text.strip());
            return us > 0 ? Optional.of(Duration.ofNanos(Math.multiplyExact(us, 1000L))) : Optional.empty();
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }
}
