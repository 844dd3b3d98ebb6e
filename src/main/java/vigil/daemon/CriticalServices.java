package vigil.daemon;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import vigil.os.ExitStatus;
import vigil.service.Service;
import vigil.service.ServiceState;
import vigil.service.UnitService;
import vigil.service.UnitState;
import vigil.service.Want;

/**
 * The services marked critical ({@code critical} in a service directory, {@code X-Vigil-Critical=yes} in a unit),
 * whose end for good ends the daemon, as a container ends with tini's one child, and the exit code the daemon
 * leaves with. "For good" is when no start is coming: a directory wanted down (its finish exited 125, or
 * {@code sv once} or {@code sv down}), a unit dead, failed or exited with no restart following ({@code Restart=}
 * said no, the start limit was hit, a oneshot finished, or an operator's stop). A service removed, or stopped with
 * the daemon, is not over for good: its exit then only gives the exit code, if no other critical service ended first.
 * Only an end seen after the service ran counts, so a critical service that never started (or was already down
 * when a re-executed daemon took it up) ends nothing.
 */
public final class CriticalServices {
    /** A critical service's end: {@code code} is its exit code, or 128 + the signal that killed it. */
    public record Ended(String name, int code, String how) {}

    /** Critical services seen running, or on their way to a start: an end of theirs is news. */
    private final Set<String> live = new HashSet<>();
    /** The end that stopped the daemon, if one did. */
    private Ended first;
    /** The first critical service's exit while the daemon stopped, if no end stopped it. */
    private Ended stoppedWithTheDaemon;

    /** A critical directory's state changed: its end for good, if this is it. */
    public Optional<Ended> changed(Service service) {
        if (!service.spec().critical()) return Optional.empty();
        boolean down = service.state() instanceof ServiceState.Down;
        return seen(service.name(), down, down && service.want() == Want.DOWN,
                service.lastExit().map(CriticalServices::code).orElse(0), service.lastExit());
    }

    /** A critical unit's state changed: its end for good, if this is it. */
    public Optional<Ended> changed(UnitService unit) {
        if (!unit.spec().critical()) return Optional.empty();
        boolean over = unitOver(unit.state(), unit.startFollows());
        int fallback = unit.state() == UnitState.FAILED ? 1 : 0;
        return seen(unit.name(), over, over && unit.want() != Want.EXIT,
                unit.lastMainExit().map(CriticalServices::code).orElse(fallback), unit.lastMainExit());
    }

    /**
     * The one command of {@code vigil run --services} ended: it is critical by nature, and always for good.
     */
    public Ended commandEnded(String name, int code, String how) {
        Ended ended = new Ended(name, code, how);
        if (first == null) first = ended;
        return ended;
    }

    /** The exit code the daemon leaves with: the critical service's that ended it, else 0. */
    public int exitCode() {
        if (first != null) return first.code();
        return stoppedWithTheDaemon != null ? stoppedWithTheDaemon.code() : 0;
    }

    /** The end that stopped the daemon, if a critical service's did. */
    public Optional<Ended> endedBy() {
        return Optional.ofNullable(first);
    }

    /** Nothing runs of the unit and no start follows: dead, failed, or a oneshot's (or RemainAfterExit's) exited. */
    static boolean unitOver(UnitState state, boolean startFollows) {
        return (state == UnitState.DEAD || state == UnitState.FAILED || state == UnitState.EXITED) && !startFollows;
    }

    /** The exit code of a shell reporting it: the code, or 128 + the signal. */
    static int code(ExitStatus status) {
        return status.killed() ? 128 + status.signal() : status.code();
    }

    private Optional<Ended> seen(String name, boolean over, boolean forGood, int code,
                                 Optional<ExitStatus> status) {
        if (!over) {
            live.add(name);
            return Optional.empty();
        }
        if (!live.remove(name)) return Optional.empty();
        Ended ended = new Ended(name, code, status.map(ExitStatus::describe).orElse("ended"));
        if (!forGood) {
            if (stoppedWithTheDaemon == null) stoppedWithTheDaemon = ended;
            return Optional.empty();
        }
        if (first == null) first = ended;
        return Optional.of(ended);
    }
}
