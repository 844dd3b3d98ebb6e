package vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.Command;
import vigil.model.DirectorySpec;
import vigil.model.Readiness;
import vigil.model.RestartPolicy;
import vigil.model.StopPolicy;
import vigil.os.FileSystem;

class ServiceDirectoryTest {
    private static final Map<String, String> BASE = Map.of("PATH", "/usr/bin:/bin", "HOME", "/root");

    @TempDir
    Path root;

    private Path service(String name) throws IOException {
        Path dir = Files.createDirectory(root.resolve(name));
        executable(dir.resolve("run"), "#!/bin/sh\nexec sleep 1000\n");
        return dir;
    }

    private static Path executable(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static DirectorySpec loaded(Path dir, String name) {
        LoadResult result = ServiceDirectory.load(dir, name, BASE);
        return assertInstanceOf(LoadResult.Loaded.class, result, () -> "got " + result).spec();
    }

    private static String invalid(Path dir) {
        LoadResult result = ServiceDirectory.load(dir, "svc", BASE);
        return assertInstanceOf(LoadResult.Invalid.class, result, () -> "got " + result).message();
    }

    private static LoadResult.Incomplete incomplete(Path dir) {
        LoadResult result = ServiceDirectory.load(dir, "svc", BASE);
        return assertInstanceOf(LoadResult.Incomplete.class, result, () -> "got " + result);
    }

    @Test
    void plainDirectoryGivesRunitDefaults() throws IOException {
        Path dir = service("web");
        DirectorySpec spec = loaded(dir, "web");
        assertEquals("web", spec.name());
        assertEquals(dir, spec.directory());
        assertEquals(new Command(dir.resolve("run"), List.of("./run"), dir, BASE), spec.run());
        assertEquals(Optional.empty(), spec.finish());
        assertEquals(false, spec.startsDown());
        assertEquals(new Readiness.OnStart(), spec.readiness());
        assertEquals(StopPolicy.DEFAULT, spec.stop());
        assertEquals(RestartPolicy.DEFAULT, spec.restart());
        assertEquals(Optional.empty(), spec.logger());
        assertEquals(Optional.empty(), spec.logDirectory());
    }

    @Test
    void logDirIsAPathOnItsFirstLineOrASymlinksTarget() throws IOException {
        Path dir = service("web");
        Files.writeString(dir.resolve("log-dir"), "../logs/web\nignored\n");
        assertEquals(Optional.of(root.resolve("logs/web")), loaded(dir, "web").logDirectory());
        Files.writeString(dir.resolve("log-dir"), "/var/log/web\n");
        assertEquals(Optional.of(Path.of("/var/log/web")), loaded(dir, "web").logDirectory());
        Files.delete(dir.resolve("log-dir"));
        Files.createSymbolicLink(dir.resolve("log-dir"), Path.of("/not/yet/there"));
        assertEquals(Optional.of(Path.of("/not/yet/there")), loaded(dir, "web").logDirectory());
        Files.createDirectory(dir.resolve("log"));
        Files.writeString(executable(dir.resolve("log/run"), "#!/bin/sh\n").resolveSibling("log-dir"), "own");
        assertEquals(Optional.of(dir.resolve("log/own")), loaded(dir, "web").logger().orElseThrow().logDirectory());
        Files.delete(dir.resolve("log-dir"));
        Files.writeString(dir.resolve("log-dir"), "\n");
        assertEquals("log-dir: is empty; need the path of a log directory", invalid(dir));
    }

    @Test
    void finishDownAndStopFiles() throws IOException {
        Path dir = service("db");
        executable(dir.resolve("finish"), "#!/bin/sh\n");
        Files.createFile(dir.resolve("down"));
        Files.writeString(dir.resolve("down-signal"), "HUP\n");
        Files.writeString(dir.resolve("timeout-kill"), "250\n");
        Files.writeString(dir.resolve("timeout-finish"), "0");
        DirectorySpec spec = loaded(dir, "db");
        assertEquals(Optional.of(new Command(dir.resolve("finish"), List.of("./finish"), dir, BASE)), spec.finish());
        assertTrue(spec.startsDown());
        assertEquals(new StopPolicy(1, Duration.ofMillis(250), Duration.ZERO), spec.stop());
    }

    @Test
    void downSignalTakesNamesWithOrWithoutSigAndNumbers() throws IOException {
        Path dir = service("s");
        for (var entry : Map.of("SIGUSR1", 10, "term", 15, "9", 9, " INT ", 2).entrySet()) {
            Files.writeString(dir.resolve("down-signal"), entry.getKey());
            assertEquals(entry.getValue(), loaded(dir, "s").stop().downSignal(), entry.getKey());
        }
    }

    @Test
    void notificationFdWinsOverCheck() throws IOException {
        Path dir = service("n");
        executable(dir.resolve("check"), "#!/bin/sh\n");
        Files.writeString(dir.resolve("notification-fd"), "3\n");
        assertEquals(new Readiness.NotificationFd(3), loaded(dir, "n").readiness());
        Files.writeString(dir.resolve("notification-fd"), "17");
        assertEquals(new Readiness.NotificationFd(17), loaded(dir, "n").readiness());
        Files.createFile(dir.resolve("notify"));
        assertEquals(new Readiness.NotificationFd(17), loaded(dir, "n").readiness(), "notification-fd wins");
        Files.delete(dir.resolve("notification-fd"));
        assertEquals(new Readiness.SdNotify(), loaded(dir, "n").readiness());
    }

    @Test
    void executableCheckIsAProbe() throws IOException {
        Path dir = service("c");
        Path check = executable(dir.resolve("check"), "#!/bin/sh\nexit 0\n");
        assertEquals(new Readiness.Probe(new Command(check, List.of("./check"), dir, BASE)),
                loaded(dir, "c").readiness());
        Files.setPosixFilePermissions(check, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(new Readiness.OnStart(), loaded(dir, "c").readiness());
    }

    @Test
    void envDirAppliesToEveryCommand() throws IOException {
        Path dir = service("e");
        executable(dir.resolve("finish"), "#!/bin/sh\n");
        executable(dir.resolve("check"), "#!/bin/sh\n");
        Path env = Files.createDirectory(dir.resolve("env"));
        Files.writeString(env.resolve("GREETING"), "hello\n");
        Files.writeString(env.resolve("HOME"), "");
        DirectorySpec spec = loaded(dir, "e");
        Map<String, String> expected = Map.of("PATH", "/usr/bin:/bin", "GREETING", "hello");
        assertEquals(expected, spec.run().environment());
        assertEquals(expected, spec.finish().orElseThrow().environment());
        assertEquals(expected, ((Readiness.Probe) spec.readiness()).check().environment());
    }

    @Test
    void logDirectoryIsALoggerServiceWithItsOwnFiles() throws IOException {
        Path dir = service("app");
        Files.writeString(dir.resolve("down-signal"), "INT");
        Path log = Files.createDirectory(dir.resolve("log"));
        executable(log.resolve("run"), "#!/bin/sh\nexec svlogd -tt .\n");
        executable(log.resolve("finish"), "#!/bin/sh\n");
        Files.createFile(log.resolve("down"));
        Files.createDirectory(log.resolve("env"));
        Files.writeString(log.resolve("env").resolve("LOGGER"), "yes");
        // log/log means nothing, even half-written.
        Files.createDirectory(log.resolve("log"));

        DirectorySpec spec = loaded(dir, "app");
        assertEquals(2, spec.stop().downSignal());
        assertEquals(BASE, spec.run().environment());
        DirectorySpec logger = spec.logger().orElseThrow();
        assertEquals("app/log", logger.name());
        assertEquals(log, logger.directory());
        var logEnv = Map.of("PATH", "/usr/bin:/bin", "HOME", "/root", "LOGGER", "yes");
        assertEquals(new Command(log.resolve("run"), List.of("./run"), log, logEnv), logger.run());
        assertEquals(Optional.of(new Command(log.resolve("finish"), List.of("./finish"), log, logEnv)),
                logger.finish());
        assertTrue(logger.startsDown());
        assertEquals(StopPolicy.DEFAULT, logger.stop());
        assertEquals(Optional.empty(), logger.logger());
    }

    @Test
    void missingRunIsIncompleteUntilWritten() throws IOException {
        Path dir = Files.createDirectory(root.resolve("new"));
        LoadResult.Incomplete result = incomplete(dir);
        assertEquals("run does not exist", result.reason());
        assertEquals(List.of(dir), result.watch());

        Path run = dir.resolve("run");
        Files.createFile(run);
        assertEquals("run is empty", incomplete(dir).reason());
        Files.writeString(run, "#!/bin/sh\nexec true\n");
        assertEquals("run is not executable", incomplete(dir).reason());
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        loaded(dir, "new");
    }

    @Test
    void runThatIsNotAFileIsIncomplete() throws IOException {
        Path dir = Files.createDirectory(root.resolve("odd"));
        Files.createDirectory(dir.resolve("run"));
        assertEquals("run is a directory, not a regular file", incomplete(dir).reason());
        Files.delete(dir.resolve("run"));
        Files.createSymbolicLink(dir.resolve("run"), root.resolve("nowhere"));
        assertEquals("run is a symbolic link to nothing", incomplete(dir).reason());
    }

    @Test
    void incompleteLoggerWatchesBothDirectories() throws IOException {
        Path dir = service("app");
        Path log = Files.createDirectory(dir.resolve("log"));
        LoadResult.Incomplete result = incomplete(dir);
        assertEquals("log/run does not exist", result.reason());
        assertEquals(List.of(dir, log), result.watch());

        Files.delete(dir.resolve("run"));
        result = incomplete(dir);
        assertEquals("run does not exist; log/run does not exist", result.reason());
        assertEquals(List.of(dir, log), result.watch());

        executable(log.resolve("run"), "#!/bin/sh\n");
        result = incomplete(dir);
        assertEquals("run does not exist", result.reason());
        assertEquals(List.of(dir), result.watch());
    }

    @Test
    void incompleteRunHidesHalfWrittenFiles() throws IOException {
        Path dir = Files.createDirectory(root.resolve("busy"));
        Files.createFile(dir.resolve("notification-fd"));
        Files.writeString(dir.resolve("run"), "#!/bin/sh\n");
        assertEquals("run is not executable", incomplete(dir).reason());
    }

    @Test
    void badNotificationFd() throws IOException {
        Path dir = service("svc");
        Path file = dir.resolve("notification-fd");
        Files.writeString(file, "abc\n");
        assertEquals("notification-fd: \"abc\" is not a file descriptor number (need an integer >= 3)", invalid(dir));
        Files.writeString(file, "2");
        assertEquals("notification-fd: \"2\" is not a file descriptor number (need an integer >= 3)", invalid(dir));
        Files.writeString(file, "");
        assertEquals("notification-fd: \"\" is not a file descriptor number (need an integer >= 3)", invalid(dir));
        Files.writeString(file, "99999999999");
        assertEquals("notification-fd: \"99999999999\" is not a file descriptor number (need an integer >= 3)",
                invalid(dir));
    }

    @Test
    void badDownSignal() throws IOException {
        Path dir = service("svc");
        Files.writeString(dir.resolve("down-signal"), "SIGFOO\n");
        assertEquals("down-signal: \"SIGFOO\" is not a signal (need a name like TERM or SIGHUP, or a number from 1 "
                + "to 64)", invalid(dir));
        Files.writeString(dir.resolve("down-signal"), "65");
        assertTrue(invalid(dir).startsWith("down-signal: \"65\" is not a signal"));
    }

    @Test
    void badTimeouts() throws IOException {
        Path dir = service("svc");
        Files.writeString(dir.resolve("timeout-kill"), "-5");
        assertEquals("timeout-kill: \"-5\" is not a number of milliseconds (need a non-negative integer)",
                invalid(dir));
        Files.delete(dir.resolve("timeout-kill"));
        Files.writeString(dir.resolve("timeout-finish"), "1.5s\tlater\n");
        assertEquals("timeout-finish: \"1.5s\\tlater\" is not a number of milliseconds (need a non-negative "
                + "integer)", invalid(dir));
    }

    @Test
    void longGarbageIsQuotedShort() throws IOException {
        Path dir = service("svc");
        Files.writeString(dir.resolve("timeout-kill"), "x".repeat(1000));
        assertEquals("timeout-kill: \"" + "x".repeat(40) + "...\" is not a number of milliseconds (need a "
                + "non-negative integer)", invalid(dir));
    }

    @Test
    void valueFilesMustBeRegularFiles() throws IOException {
        Path dir = service("svc");
        Files.createDirectory(dir.resolve("notification-fd"));
        assertEquals("notification-fd: is a directory, need a regular file", invalid(dir));
        Files.delete(dir.resolve("notification-fd"));
        // A FIFO would block the loader forever if it were opened.
        FileSystem.mkfifo(dir.resolve("timeout-kill"), 0600);
        assertEquals("timeout-kill: is a FIFO, need a regular file", invalid(dir));
    }

    @Test
    void logThatIsNotADirectory() throws IOException {
        Path dir = service("svc");
        Files.writeString(dir.resolve("log"), "oops");
        assertEquals("log: is a regular file, need a directory", invalid(dir));
    }

    @Test
    void loggerProblemsNameTheLogFile() throws IOException {
        Path dir = service("svc");
        Path log = Files.createDirectory(dir.resolve("log"));
        executable(log.resolve("run"), "#!/bin/sh\n");
        Files.writeString(log.resolve("notification-fd"), "one");
        assertEquals("log/notification-fd: \"one\" is not a file descriptor number (need an integer >= 3)",
                invalid(dir));
        Files.delete(log.resolve("notification-fd"));
        Files.createDirectory(log.resolve("env"));
        Files.writeString(log.resolve("env").resolve("A=B"), "x");
        assertEquals("log/env/A=B: a variable name cannot contain '='", invalid(dir));
    }

    @Test
    void badEnvDir() throws IOException {
        Path dir = service("svc");
        Files.writeString(dir.resolve("env"), "FOO=bar\n");
        assertEquals("env: is a regular file, need a directory", invalid(dir));
        Files.delete(dir.resolve("env"));
        Files.createDirectory(dir.resolve("env"));
        Files.writeString(dir.resolve("env").resolve("X=1"), "1");
        assertEquals("env/X=1: a variable name cannot contain '='", invalid(dir));
    }

    @Test
    void missingDirectory() {
        Path dir = root.resolve("gone");
        assertEquals(dir + ": cannot read the directory: No such file or directory", invalid(dir));
    }

    @Test
    void directoryThatIsAFile() throws IOException {
        Path file = Files.writeString(root.resolve("file"), "");
        assertEquals(file + ": is a regular file, need a directory", invalid(file));
    }

    @Test
    void unreadableDirectoryAndFile() throws IOException {
        assumeFalse(isRoot(), "root reads everything: permission errors cannot happen");
        Path dir = service("svc");
        Path fd = Files.writeString(dir.resolve("notification-fd"), "3");
        Files.setPosixFilePermissions(fd, PosixFilePermissions.fromString("---------"));
        assertEquals("notification-fd: cannot read: Permission denied", invalid(dir));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("-wx------"));
        try {
            assertEquals(dir + ": cannot read the directory: Permission denied", invalid(dir));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static boolean isRoot() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }
}
