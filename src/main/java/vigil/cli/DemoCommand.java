package vigil.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import vigil.daemon.Daemon;
import vigil.log.TimestampFormat;

@Command(name = "demo",
        description = {"Supervise a copy of the bundled examples/ services in a temporary directory.",
                "Ctrl-C stops them all and removes the directory."})
final class DemoCommand implements Callable<Integer> {
    private static final int PREFERRED_PORT = 8080;

    @Override
    public Integer call() throws IOException {
        Path examples = examplesDirectory();
        Path dir = Files.createTempDirectory("vigil-demo.");
        try {
            copyTree(examples, dir);
            int port = freePort();
            Files.writeString(dir.resolve("web/env/PORT"), port + "\n");
            // A dot name, so the daemon does not take the logs for a service; and never the user's own log dir.
            Path logs = dir.resolve(".log");
            System.err.print("""
                    vigil demo: supervising a copy of %1$s in %2$s
                    Try, from another terminal:
                      curl http://127.0.0.1:%3$d/                  the web service
                      sv status %2$s/*                  runit's own sv reads Vigil's state
                      sv up %2$s/standby                start the service that has a down file
                      kill -9 $(cat %2$s/web/supervise/pid)   it comes back at once
                      cat %2$s/ticker/log/current       what the ticker's logger wrote
                      vigil logs --log-dir %4$s -f web   what the web service printed, as Vigil logged it
                      vigil logs --log-dir %4$s vigil    what Vigil said
                      cp -r %2$s/standby %2$s/another   a new service starts the moment it appears
                    Ctrl-C stops everything in order and removes %2$s.

                    """.formatted(examples, dir, port, logs));
            return Daemon.run(List.of(dir), List.of(), null, logs, TimestampFormat.ISO, System.err);
        } finally {
            deleteTree(dir);
        }
    }

    /** examples/ beside the build output: target/vigil.jar or target/classes → the repository root. */
    private static Path examplesDirectory() throws IOException {
        try {
            Path code = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path examples = code.getParent().getParent().resolve("examples");
            if (!Files.isDirectory(examples)) throw new IOException("the examples are missing: " + examples);
            return examples;
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the examples: " + e.getMessage(), e);
        }
    }

    /** 8080 if it is free on loopback, else any free port. */
    private static int freePort() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket probe = new ServerSocket(PREFERRED_PORT, 1, loopback)) {
            return PREFERRED_PORT;
        } catch (IOException taken) {
            try (ServerSocket any = new ServerSocket(0, 1, loopback)) {
                return any.getLocalPort();
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
