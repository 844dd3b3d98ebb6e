package vigil.deps;

import vigil.unit.ServiceSection;
import vigil.unit.Unit;
import vigil.unit.UnitSection;

/**
 * The [Unit] switches the job engine acts on besides the dependencies (systemd.unit(5)).
 *
 * @param defaultDependencies the implicit dependencies of {@link DefaultDependencies} apply
 * @param stopWhenUnneeded    stopped once no unit that is up or about to start pulls it in
 * @param refuseManualStart   a start asked for by hand is refused; one a dependency pulls in runs
 * @param refuseManualStop    the same for a stop
 * @param allowIsolate        {@code vigil isolate} may take it as its target
 * @param ignoreOnIsolate     an isolate leaves it as it is
 * @param onFailureIsolates   {@code OnFailureJobMode=isolate}: the first {@code OnFailure=} unit is isolated to
 *                            instead of started beside what runs (every other mode is taken as {@code replace})
 * @param busClient           a {@code Type=dbus} service: it needs the system bus, so {@link DefaultDependencies}
 *                            orders it after {@code dbus.socket} and requires it, as systemd's service.c does
 */
public record Traits(boolean defaultDependencies, boolean stopWhenUnneeded, boolean refuseManualStart,
                     boolean refuseManualStop, boolean allowIsolate, boolean ignoreOnIsolate,
                     boolean onFailureIsolates, boolean busClient) {
    /** A node no unit file describes (a stand-in target, a service directory): none of the switches. */
    public static final Traits NONE = new Traits(false, false, false, false, false, false, false, false);

    public static Traits of(Unit unit) {
        UnitSection u = unit.unit();
        return new Traits(u.defaultDependencies(), u.stopWhenUnneeded(), u.refuseManualStart(),
                u.refuseManualStop(), u.allowIsolate(), u.ignoreOnIsolate(), u.onFailureJobMode().equals("isolate"),
                unit.service().map(s -> s.type() == ServiceSection.Type.DBUS).orElse(false));
    }
}
