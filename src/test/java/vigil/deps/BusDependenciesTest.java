package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;

/** A Type=dbus service's implicit Requires= and After=dbus.socket. */
class BusDependenciesTest {
    private static final Traits BUS_CLIENT = new Traits(false, false, false, false, false, false, false, true);
    private static final Node AVAHI = new Node("avahi-daemon.service", Node.Kind.SERVICE, Map.of(), BUS_CLIENT);
    private static final Node DBUS = new Node("dbus.socket", Node.Kind.SOCKET, Map.of());

    private static Node named(List<Node> nodes, String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aBusClientRequiresAndStartsAfterTheBusSocketEvenWithoutDefaultDependencies() {
        Node avahi = named(DefaultDependencies.apply(List.of(AVAHI, DBUS)), "avahi-daemon.service");
        assertTrue(avahi.get(Dependency.REQUIRES).contains("dbus.socket"));
        assertTrue(avahi.get(Dependency.AFTER).contains("dbus.socket"), "so its stop comes before the bus's");
    }

    @Test
    void withNoBusSocketLoadedTheBusIsOutsideAndNothingIsRequired() {
        Node avahi = named(DefaultDependencies.apply(List.of(AVAHI)), "avahi-daemon.service");
        assertEquals(Map.of(), avahi.edges());
    }

    @Test
    void otherServicesAreLeftAlone() {
        Node web = new Node("web.service", Node.Kind.SERVICE, Map.of(), Traits.NONE);
        assertFalse(named(DefaultDependencies.apply(List.of(web, DBUS)), "web.service").get(Dependency.REQUIRES)
                .contains("dbus.socket"));
    }
}
