package vigil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs real client programs (sv, svc, socat...) for integration tests, and skips tests whose tools are missing. */
public final class Tools {
    private Tools() {}

    /** Exit code and output (stdout and stderr together, stripped). */
    public record Result(int exit, String output) {}

    public static Optional<Path> find(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The tool's path; skips the test if it is not installed (CI installs the Debian packages). */
    public static Path require(String name, String debianPackage) {
        Optional<Path> path = find(name);
        assumeTrue(path.isPresent(), name + " is not installed (Debian package " + debianPackage + ")");
        return path.get();
    }

    /** Runs the command in {@code cwd} with extra environment, killing it if it outlives 30 s. */
    public static Result run(Path cwd, Map<String, String> env, String stdin, List<String> command)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        try {
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError(command + " did not finish in 30 s");
            return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8).strip());
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    public static Result run(Path cwd, String... command) throws IOException, InterruptedException {
        return run(cwd, Map.of(), null, List.of(command));
    }

    /** The arguments as a list, with {@code first} in front. */
    public static List<String> command(String first, String... rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all;
    }
}
