package vigil.unit;

import java.util.Objects;
import java.util.Optional;

/**
 * A loaded unit: its files and its typed sections. {@code service} is present exactly for {@code .service}
 * units, {@code socket} for {@code .socket} units and {@code slice} (its [Slice] section's limits) for
 * {@code .slice} units.
 */
public record Unit(UnitFile file, UnitSection unit, InstallSection install, Optional<ServiceSection> service,
                   Optional<SocketSection> socket, Optional<vigil.model.ResourceLimits> slice) {
    public Unit {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(slice, "slice");
    }

    public UnitName name() {
        return file.name();
    }
}
