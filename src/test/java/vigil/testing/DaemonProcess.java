package vigil.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A real {@code vigil daemon}, started by the repository's launcher, for integration tests: its stderr lines are
 * collected, and {@link #close} leaves nothing running: the daemon, every descendant, and every process whose
 * working directory is inside the test's directory (in case the daemon died and its children were reparented).
 */
public final class DaemonProcess implements AutoCloseable {
    private final Process process;
    private final Path sandbox;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    private DaemonProcess(Process process, Path sandbox) {
        this.process = process;
        this.sandbox = sandbox;
        this.reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // The daemon is gone; what it said is in lines.
            }
        });
    }

    /** Starts {@code vigil ARGS...} through the launcher; {@code sandbox} bounds the cleanup. */
    public static DaemonProcess start(Path sandbox, Map<String, String> env, String... args) throws IOException {
        return start(sandbox, env, List.of(), args);
    }

    /** As {@link #start(Path, Map, String...)}, under a wrapper command such as {@code prlimit --nofile=64}. */
    public static DaemonProcess start(Path sandbox, Map<String, String> env, List<String> wrapper, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(launcher());
        command.addAll(List.of(args));
        return start(sandbox, env, command);
    }

    /** As {@link #start(Path, Map, String...)}, through another copy of the launcher. */
    public static DaemonProcess startWith(Path launcher, Path sandbox, Map<String, String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        return start(sandbox, env, command);
    }

    /** As {@link #start(Path, Map, String...)}, but {@code command} whole, with no launcher. */
    public static DaemonProcess command(Path sandbox, Map<String, String> env, List<String> command)
            throws IOException {
        return start(sandbox, env, command);
    }

    private static DaemonProcess start(Path sandbox, Map<String, String> env, List<String> command)
            throws IOException {
        // JUnit makes the sandbox 0700. A root daemon whose control socket's directory others may not walk to puts
        // its services' notify sockets in /run/vigil (for units that drop root): searchable, not listable, they
        // stay beside the control socket, in the sandbox.
        if (Files.getPosixFilePermissions(sandbox).equals(PosixFilePermissions.fromString("rwx------"))) {
            Files.setPosixFilePermissions(sandbox, PosixFilePermissions.fromString("rwx--x--x"));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        // The control socket, runtime state and logs stay in the sandbox, not in /run/vigil and /var/log/vigil,
        // unless a test says otherwise.
        builder.environment().put("VIGIL_CONTROL", sandbox.resolve("run/control").toString());
        builder.environment().put("VIGIL_LOG_DIR", logDir(sandbox).toString());
        builder.environment().putAll(env);
        return new DaemonProcess(builder.start(), sandbox);
    }

    /** {@code vigil daemon ROOTS...}, logging to {@link #logDir(Path)} so that nothing is written outside sandbox. */
    public static DaemonProcess daemon(Path sandbox, Path... roots) throws IOException {
        List<String> args = new ArrayList<>(List.of("daemon", "--log-dir", logDir(sandbox).toString()));
        for (Path root : roots) args.add(root.toString());
        return start(sandbox, Map.of(), args.toArray(String[]::new));
    }

    /** Where the daemons of {@link #start} and {@link #daemon} log: {@code SANDBOX/log}. */
    public static Path logDir(Path sandbox) {
        return sandbox.resolve("log");
    }

    /** The repository's {@code vigil} launcher, which runs the packaged jar: integration tests run after package. */
    private static String launcher() {
        String launcher = System.getProperty("vigil.launcher");
        if (launcher == null) throw new IllegalStateException("vigil.launcher is not set: run integration tests "
                + "with failsafe (./mvnw verify), after the jar is packaged");
        return launcher;
    }

    public long pid() {
        return process.pid();
    }

    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** Waits for a stderr line matching the regex (found anywhere in the line) and returns it. */
    public String awaitLine(String regex, Duration timeout) {
        Pattern pattern = Pattern.compile(regex);
        return Await.value(() -> "a daemon line matching /" + regex + "/; got:\n" + String.join("\n", lines()), timeout,
                () -> lines().stream().filter(l -> pattern.matcher(l).find()).findFirst().orElse(null));
    }

    public long countLines(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return lines().stream().filter(l -> pattern.matcher(l).find()).count();
    }

    /** Sends a signal to the daemon (by its pid, which this test started). */
    public void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) throw new IOException("kill -" + signal + " " + process.pid() + " failed");
    }

    /** TERM, then the exit code once the daemon has exited (fails after the timeout). */
    public int terminate(Duration timeout) throws IOException, InterruptedException {
        signal("TERM");
        return awaitExit(timeout);
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the daemon did not exit within " + timeout + "; it said:\n"
                    + String.join("\n", lines()));
        }
        reader.join(timeout.toMillis());
        return process.exitValue();
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> leftovers = new ArrayList<>();
        for (long pid : Procs.descendants(process.pid())) ProcessHandle.of(pid).ifPresent(leftovers::add);
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        leftovers.addAll(processesWorkingIn(sandbox));
        for (ProcessHandle p : leftovers) p.destroyForcibly();
        for (ProcessHandle p : leftovers) p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join();
    }

    /** Processes (of any parent) whose cwd lies inside dir: the services of this test, wherever they went. */
    static List<ProcessHandle> processesWorkingIn(Path dir) {
        List<ProcessHandle> found = new ArrayList<>();
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return found;
        }
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd"));
                if (cwd.startsWith(real) && p.pid() != ProcessHandle.current().pid()) found.add(p);
            } catch (IOException | UnsupportedOperationException ignored) {
                // Gone, or not ours to read.
            }
        });
        return found;
    }
}
