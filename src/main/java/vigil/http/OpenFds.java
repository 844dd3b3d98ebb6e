package vigil.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The daemon's open fds, counted in /proc/self/fd on the HTTP thread (the listing's own fd included). */
final class OpenFds {
    private OpenFds() {}

    static long count() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
