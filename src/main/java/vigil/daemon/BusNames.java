package vigil.daemon;

import java.util.Map;
import java.util.Optional;
import vigil.bus.BusAddress;
import vigil.bus.BusWatch;
import vigil.loop.EventLoop;
import vigil.model.UnitSpec;
import vigil.service.Supervisor;
import vigil.service.UnitService;

/**
 * The {@code BusName=} of each {@code Type=dbus} unit, watched on the system bus from the unit's first start, its
 * owner's comings and goings handed to the units that name it. The bus connection is made at the first such unit,
 * so a daemon without one never touches the bus. The bus is {@code DBUS_SYSTEM_BUS_ADDRESS} of Vigil's own
 * environment, or the system default.
 */
final class BusNames {
    private final EventLoop loop;
    private final Supervisor supervisor;
    private final Reporter reporter;
    private final Map<String, String> environment;
    private BusWatch watch;
    private boolean saidBadAddress;

    BusNames(EventLoop loop, Supervisor supervisor, Reporter reporter, Map<String, String> environment) {
        this.loop = loop;
        this.supervisor = supervisor;
        this.reporter = reporter;
        this.environment = environment;
    }

    /** On the loop, at each state change of a unit: a Type=dbus unit's name is watched from then on. */
    void unitChanged(UnitService unit) {
        Optional<String> name = busName(unit.spec());
        if (name.isEmpty()) return;
        if (watch == null) {
            String address = environment.getOrDefault("DBUS_SYSTEM_BUS_ADDRESS", BusAddress.SYSTEM_DEFAULT);
            try {
                watch = new BusWatch(BusAddress.socket(address), loop::execute, this::ownerChanged, reporter::say);
            } catch (IllegalArgumentException e) {
                if (!saidBadAddress) reporter.say(unit.name(), "cannot watch " + name.get() + ": " + e.getMessage());
                saidBadAddress = true;
                return;
            }
        }
        watch.watch(name.get());
    }

    private void ownerChanged(String name, boolean owned) {
        for (UnitService unit : supervisor.units()) {
            if (busName(unit.spec()).equals(Optional.of(name))) unit.busNameOwner(owned);
        }
    }

    private static Optional<String> busName(UnitSpec spec) {
        return spec.type() == UnitSpec.Type.DBUS ? spec.busName() : Optional.empty();
    }
}
