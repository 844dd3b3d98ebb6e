package vigil.init;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import vigil.os.Children;
import vigil.os.Epoll;
import vigil.os.ExecFailure;
import vigil.os.ExecSpec;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Reaped;
import vigil.os.SignalEvents;
import vigil.os.Signals;
import vigil.os.Spawn;
import vigil.os.Spawned;

/**
 * {@code vigil run -- CMD ARGS}: one command under a minimal init, as tini runs one: the command runs in a
 * session (and process group) of its own, every signal a container runtime or a terminal sends is passed on to
 * that whole group, every orphan is reaped, and the exit code is the command's, or 128 + the signal that killed
 * it. Not PID 1, it makes itself a child subreaper, so the command's orphans are still its to reap.
 */
public final class OneCommand {
    /**
     * The signals passed on. QUIT is missing: HotSpot keeps it for its thread dumps. CHLD is the init's own.
     */
    static final List<Integer> FORWARDED = List.of(Signals.SIGHUP, Signals.SIGINT, Signals.SIGTERM,
            Signals.SIGUSR1, Signals.SIGUSR2, Signals.SIGWINCH, Signals.SIGCONT, Signals.SIGALRM, Signals.SIGPWR);

    private OneCommand() {}

    /** Runs {@code argv} to its end; returns the exit code to leave with. */
    public static int run(List<String> argv, Map<String, String> environment) throws OsException {
        Path program = resolve(argv.getFirst(), environment.getOrDefault("PATH", "/usr/bin:/bin"));
        if (Children.getpid() != 1) Children.setChildSubreaper();
        try (SignalEvents signals = SignalEvents.create(); Epoll epoll = Epoll.create()) {
            epoll.add(signals.fd(), Epoll.EPOLLIN);
            epoll.add(signals.signalFd(), Epoll.EPOLLIN);
            signals.watch(Signals.SIGCHLD);
            for (int signal : FORWARDED) signals.watch(signal);
            Spawned child = Spawn.spawn(ExecSpec.builder(program, argv).environment(environment)
                    .workingDirectory(Path.of("").toAbsolutePath()).newSession(true).build());
            Optional<ExecFailure> failure = child.awaitExec();
            if (failure.isPresent()) {
                System.err.println("vigil run: cannot run " + program + ": "
                        + new OsException(failure.get().step(), program.toString(), failure.get().errno())
                        .getMessage());
                return 127;
            }
            while (true) {
                for (Optional<Reaped> one; (one = Children.waitAny()).isPresent(); ) {
                    if (one.get().pid() == child.pid()) return exitCode(one.get().status());
                }
                epoll.wait(-1);
                long came = signals.take();
                for (int signal : FORWARDED) {
                    // The group: a shell's children get the signal too, as from a terminal.
                    if ((came & 1L << (signal - 1)) != 0) Children.signalGroup(child.pid(), signal);
                }
            }
        }
    }

    /** The command's own code, or 128 + the signal that killed it, as a shell reports it. */
    static int exitCode(ExitStatus status) {
        return status.signal() != 0 ? 128 + status.signal() : status.code();
    }

    /** {@code name} itself if it has a slash, else the first executable of that name on {@code path}. */
    public static Path resolve(String name, String path) {
        if (name.contains("/")) return Path.of(name);
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
        }
        return Path.of(name);
    }
}
