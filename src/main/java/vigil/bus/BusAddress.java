package vigil.bus;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The socket of a D-Bus server address (the specification's "Server Addresses"): the first {@code unix:path=}
 * of a {@code ;}-separated list, its {@code %xx} escapes undone. Other transports (abstract sockets, TCP) are not
 * what a system bus listens on, so they are refused by name.
 */
public final class BusAddress {
    /** The system bus where {@code DBUS_SYSTEM_BUS_ADDRESS} is not set (as sd-bus and libdbus default). */
    public static final String SYSTEM_DEFAULT = "unix:path=/run/dbus/system_bus_socket";

    private BusAddress() {}

    /** @throws IllegalArgumentException naming the address if none of it is a {@code unix:path=} */
    public static Path socket(String address) {
        for (String one : address.split(";")) {
            if (!one.startsWith("unix:")) continue;
            for (String pair : one.substring("unix:".length()).split(",")) {
                if (pair.startsWith("path=")) return Path.of(unescape(pair.substring("path=".length()), address));
            }
        }
        throw new IllegalArgumentException("D-Bus address " + address + ": Vigil connects only to unix:path=");
    }

    private static String unescape(String value, String address) {
        var out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '%') {
                out.write(c);
                continue;
            }
            try {
                out.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("D-Bus address " + address + ": a % without two hex digits");
            }
            i += 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
