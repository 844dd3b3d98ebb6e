package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Tools;

/**
 * {@code ./vigil status} as bench/control times it: through the launcher, with its AOT cache. The cache's training
 * runs against a stand-in daemon (ClientTraining), so a real status must find every class it loads in the cache,
 * except the few the JDK never archives (JFR event classes, method handles spun for reflection).
 */
class LauncherIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Loaded from outside the cache today: 6 of the JDK's, none of Vigil's. Room for a JDK update, not for a hole. */
    private static final int MOST_UNCACHED = 12;

    @TempDir
    Path sandbox;
    private DaemonProcess daemon;

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void statusFindsItsClassesInTheAotCache() throws Exception {
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path socket = sandbox.resolve("control");
        Path web = service(root, "web", "exec sleep 1000");
        daemon = DaemonProcess.start(sandbox, Map.of(), "daemon", "--control", socket.toString(), root.toString());
        long pid = awaitRunning(web, WAIT);
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
        Map<String, String> env = Map.of("VIGIL_CONTROL", socket.toString());
        // supervise/status shows the process as soon as it exists; "up" waits until its program runs.
        Tools.Result up = Tools.run(sandbox, env, null,
                List.of(System.getProperty("vigil.launcher"), "wait", "web", "--up", "--timeout", "20"));
        assertEquals(0, up.exit(), up.output());

        Path log = sandbox.resolve("classes.log");
        Tools.Result status = Tools.run(sandbox, Map.of("VIGIL_CONTROL", socket.toString(),
                "VIGIL_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), null,
                List.of(System.getProperty("vigil.launcher"), "status", "web"));
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().startsWith("web: up (pid " + pid + ")"), status.output());

        List<String> loaded = loadedClasses(log);
        List<String> uncached = loaded.stream().filter(l -> !l.contains("source: shared objects file")).toList();
        assertTrue(loaded.size() > 500, "the log lists the classes: " + loaded.size());
        assertTrue(uncached.stream().noneMatch(l -> l.contains(" vigil.")), "Vigil's own classes are all cached: "
                + uncached);
        assertTrue(uncached.size() <= MOST_UNCACHED, "at most " + MOST_UNCACHED + " classes outside the cache: "
                + uncached);
    }

    @Test
    void aRebuildUnderARunningDaemonLeavesItsJarAlone() throws Exception {
        // A checkout of its own, so the test can put a new jar in place as a build would.
        Path checkout = sandbox.resolve("checkout");
        Path repository = Path.of(System.getProperty("vigil.launcher")).getParent();
        Files.createDirectories(checkout.resolve("build"));
        Files.copy(repository.resolve("vigil"), checkout.resolve("vigil"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(repository.resolve("build/install-jar"), checkout.resolve("build/install-jar"),
                StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(checkout.resolve("target/lib"));
        for (String file : List.of("vigil.jar", "vigil-exec")) {
            Files.copy(repository.resolve("target").resolve(file), checkout.resolve("target").resolve(file),
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
        try (var libs = Files.list(repository.resolve("target/lib"))) {
            for (Path lib : libs.toList()) Files.copy(lib, checkout.resolve("target/lib").resolve(lib.getFileName()));
        }
        Path root = Files.createDirectories(sandbox.resolve("sv"));
        Path web = service(root, "web", "exec sleep 1000");
        daemon = DaemonProcess.startWith(checkout.resolve("vigil"), sandbox, Map.of(), "daemon", root.toString());
        awaitRunning(web, WAIT);

        // What the build does once the jar plugin has written target/jar/vigil.jar: here, a jar without Vigil in it.
        Path rebuilt = Files.createDirectories(checkout.resolve("target/jar")).resolve("vigil.jar");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(rebuilt))) {
            out.putNextEntry(new java.util.zip.ZipEntry("empty"));
        }
        Path jar = checkout.resolve("target/vigil.jar");
        Tools.Result install = Tools.run(checkout, checkout.resolve("build/install-jar").toString(),
                rebuilt.toString(), jar.toString());
        assertEquals(0, install.exit(), install.output());
        assertEquals(-1, Files.mismatch(rebuilt, jar), "the new jar is in place");

        // Stopping runs code the daemon had not loaded yet: from the old jar, which it still has open.
        assertEquals(0, daemon.terminate(WAIT), String.join("\n", daemon.lines()));
        assertEquals(0, daemon.countLines("Exception|Error"), String.join("\n", daemon.lines()));
    }

    /**
     * The build stages target/lib's jars and target/vigil-exec (which a running daemon spawns every service
     * through) and installs them as it does the jar: a changed file by rename, so a process that has the old one
     * open or mapped keeps it whole; an unchanged one not at all.
     */
    @Test
    void theBuildInstallsLibrariesByRenameAndLeavesUnchangedOnesAlone() throws Exception {
        Path repository = Path.of(System.getProperty("vigil.launcher")).getParent();
        Path built = Files.createDirectories(sandbox.resolve("jar/lib"));
        Path lib = Files.createDirectories(sandbox.resolve("lib"));
        Files.writeString(built.resolve("changed.jar"), "new");
        Files.writeString(built.resolve("same.jar"), "same");
        Files.writeString(lib.resolve("changed.jar"), "old");
        Files.writeString(lib.resolve("same.jar"), "same");
        Object sameInode = Files.getAttribute(lib.resolve("same.jar"), "unix:ino");
        try (var open = Files.newByteChannel(lib.resolve("changed.jar"))) {
            Tools.Result install = Tools.run(sandbox, repository.resolve("build/install-jar").toString(),
                    built.toString(), lib.toString());
            assertEquals(0, install.exit(), install.output());
            var old = java.nio.ByteBuffer.allocate(16);
            open.read(old);
            assertEquals("old", new String(old.array(), 0, old.position()), "the file a process has open is intact");
        }
        assertEquals("new", Files.readString(lib.resolve("changed.jar")));
        assertEquals(sameInode, Files.getAttribute(lib.resolve("same.jar"), "unix:ino"));
        try (var left = Files.list(lib)) {
            assertEquals(2, left.count(), "no temporary file is left");
        }
    }

    private static List<String> loadedClasses(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains("[class,load]")).toList();
    }
}
