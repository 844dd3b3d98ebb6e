package vigil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import vigil.cgroup.Hierarchy;

/**
 * A cgroup v2 directory of the test's own, for a daemon to find itself in: its {@code vigil.slice} is then the
 * test's alone, whatever other daemons run on the machine. {@link #close} kills what is left in it (only this
 * test's daemon and services can be) and removes it.
 */
public final class TestCgroup implements AutoCloseable {
    private final Path directory;

    private TestCgroup(Path directory) {
        this.directory = directory;
    }

    /** Makes it; skips the test where there is no v2 hierarchy or the test may not write it (not root). */
    public static TestCgroup create(String name) throws IOException {
        Optional<Hierarchy> hierarchy = Hierarchy.find();
        assumeTrue(hierarchy.isPresent(), "no cgroup v2 hierarchy is mounted");
        assumeTrue(Files.isWritable(hierarchy.get().own()), "the test's cgroup is not writable");
        Path dir = hierarchy.get().own().resolve("vigil-it-" + ProcessHandle.current().pid() + "-" + name);
        Files.createDirectories(dir);
        return new TestCgroup(dir);
    }

    /** The directory itself, for a process to be started in. */
    public Path directory() {
        return directory;
    }

    /** The command that runs the rest of its command line in this cgroup: a wrapper for {@link DaemonProcess}. */
    public List<String> wrapper() {
        return List.of("/bin/sh", "-c", "echo $$ > '" + directory.resolve("cgroup.procs") + "' && exec \"$@\"", "sh");
    }

    /** The cgroup the daemon makes for the service {@code cgroupName} ({@code web.service}). */
    public Path service(String cgroupName) {
        return directory.resolve("vigil.slice").resolve(cgroupName);
    }

    /** The pids in a cgroup directory now; empty if it does not exist. */
    public static List<Long> pids(Path cgroup) {
        List<Long> pids = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                if (!line.isBlank()) pids.add(Long.parseLong(line.strip()));
            }
        } catch (IOException e) {
            return List.of();
        }
        return pids;
    }

    @Override
    public void close() throws IOException {
        if (!Files.isDirectory(directory)) return;
        Files.writeString(directory.resolve("cgroup.kill"), "1");
        Await.until("the test's cgroup to empty", Duration.ofSeconds(10), () -> {
            try (Stream<Path> all = Files.walk(directory)) {
                return all.filter(p -> p.getFileName().toString().equals("cgroup.procs"))
                        .allMatch(p -> pids(p.getParent()).isEmpty());
            } catch (IOException e) {
                return false;
            }
        });
        try (Stream<Path> all = Files.walk(directory)) {
            for (Path dir : all.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(dir);
            }
        }
    }
}
