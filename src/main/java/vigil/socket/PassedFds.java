package vigil.socket;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What a service's main process gets of its sockets (sd_listen_fds(3)): {@code fds} at 3.. in order, named by
 * {@code names} in {@code LISTEN_FDNAMES}; for an {@code Accept=yes} instance also its connection on stdin and
 * stdout, and {@code REMOTE_ADDR}/{@code REMOTE_PORT} in {@code environment}.
 */
public record PassedFds(List<Integer> fds, List<String> names, OptionalInt connection,
                        Map<String, String> environment) {
    public PassedFds {
        fds = List.copyOf(fds);
        names = List.copyOf(names);
        environment = Map.copyOf(environment);
        if (fds.size() != names.size()) throw new IllegalArgumentException("one name per fd");
    }

    /** The fds a service is to get, looked up when its main process is spawned. */
    @FunctionalInterface
    public interface Source {
        /** {@code service}: a unit's name ({@code web.service}) or a service directory's ({@code web}). */
        java.util.Optional<PassedFds> fdsFor(String service);
    }
}
