package vigil.service;

import java.util.ArrayList;
import java.util.List;

/** Keeps every event and removal, with the service's name, in order. */
final class RecordingListener implements ServiceListener, UnitListener {
    final List<String> lines = new ArrayList<>();
    final List<ServiceEvent> events = new ArrayList<>();
    final List<String> removed = new ArrayList<>();
    int stateChanges;

    @Override
    public void stateChanged(Service service) {
        stateChanges++;
    }

    @Override
    public void event(Service service, ServiceEvent event) {
        events.add(event);
        lines.add(service.name() + ": " + event.describe());
    }

    @Override
    public void removed(Service service) {
        removed.add(service.name());
    }

    @Override
    public void stateChanged(UnitService unit) {
        stateChanges++;
    }

    @Override
    public void event(UnitService unit, UnitEvent event) {
        lines.add(unit.name() + ": " + event.describe());
    }

    @Override
    public void removed(UnitService unit) {
        removed.add(unit.name());
    }

    <T extends ServiceEvent> List<T> eventsOf(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
