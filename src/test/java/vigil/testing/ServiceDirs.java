package vigil.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes service directories for tests and reads their runit supervise/ state. */
public final class ServiceDirs {
    private ServiceDirs() {}

    /** Writes an executable script (a #!/bin/sh header is added). */
    public static Path script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** A service directory whose run is the given shell body. */
    public static Path service(Path root, String name, String runBody) throws IOException {
        Path dir = root.resolve(name);
        script(dir.resolve("run"), runBody);
        return dir;
    }

    /** What supervise/status says: (pid, state 0 down/1 run/2 finish, want), or null before it exists. */
    public record Status(long pid, int state, char want) {
        public boolean running() {
            return state == 1 && pid != 0;
        }
    }

    public static Status status(Path serviceDir) {
        try {
            byte[] bytes = Files.readAllBytes(serviceDir.resolve("supervise/status"));
            if (bytes.length != 20) return null;
            long pid = ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            return new Status(pid, bytes[19], (char) bytes[17]);
        } catch (IOException e) {
            return null;
        }
    }

    /** The pid of the running service, once status says it runs. */
    public static long awaitRunning(Path serviceDir, java.time.Duration timeout) {
        return Await.value(serviceDir + " running", timeout, () -> {
            Status s = status(serviceDir);
            return s != null && s.running() && Procs.running(s.pid()) ? s.pid() : null;
        });
    }

    /** Waits until the service runs with a pid other than {@code oldPid}. */
    public static long awaitRestarted(Path serviceDir, long oldPid, java.time.Duration timeout) {
        return Await.value(serviceDir + " running again with a new pid", timeout, () -> {
            Status s = status(serviceDir);
            return s != null && s.running() && s.pid() != oldPid && Procs.running(s.pid()) ? s.pid() : null;
        });
    }

    public static void awaitDown(Path serviceDir, java.time.Duration timeout) {
        Await.until(serviceDir + " down", timeout, () -> {
            Status s = status(serviceDir);
            return s != null && s.state() == 0 && s.pid() == 0;
        });
    }
}
