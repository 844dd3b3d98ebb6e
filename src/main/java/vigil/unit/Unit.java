package vigil.unit;

import java.util.Objects;
import java.util.Optional;

/**
 * A loaded unit: its files and its typed sections. {@code service} is present exactly for {@code .service}
 * units and {@code socket} for {@code .socket} units.
 */
public record Unit(UnitFile file, UnitSection unit, InstallSection install, Optional<ServiceSection> service,
                   Optional<SocketSection> socket) {
    public Unit {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(socket, "socket");
    }

    public UnitName name() {
        return file.name();
    }
}
