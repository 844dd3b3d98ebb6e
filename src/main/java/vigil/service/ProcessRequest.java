package vigil.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.Command;

/**
 * One process to start: the command plus where its standard streams go, the fd it reports readiness on, whether it
 * gets a session of its own (so a terminal's Ctrl-C reaches Vigil, not every service directly), and a script to run
 * first in the new process, runsv's {@code control/u}.
 *
 * @param pidVariables environment variables set to the new process's own pid, which only the child knows
 *                     ({@code WATCHDOG_PID})
 * @param notifySocket give the process an sd_notify socket of its own ({@code NOTIFY_SOCKET}); its
 *                     {@code READY=1} is reported as ready, like a newline on a readiness fd
 * @param before       run (if its owner may execute it) and waited for in the new process, just before the command
 *                     is executed, with the command's stdio; its exit status is ignored
 * @param socketsOf    the service (unit or directory) whose sockets the process gets at fd 3.., with
 *                     {@code LISTEN_FDS}: a service's main process only
 * @param cgroups      the cgroup directories of its service (its cgroup and its resource controllers'), joined before
 *                     the command is executed; empty where there is no cgroup tracking
 */
public record ProcessRequest(Command command, Stdio stdin, Stdio stdout, Stdio stderr, OptionalInt readinessFd,
                             boolean newSession, List<String> pidVariables, boolean notifySocket,
                             Optional<Path> before, Optional<String> socketsOf,
                             List<Path> cgroups) {
    public ProcessRequest {
        Objects.requireNonNull(command);
        Objects.requireNonNull(stdin);
        Objects.requireNonNull(stdout);
        Objects.requireNonNull(stderr);
        Objects.requireNonNull(readinessFd);
        pidVariables = List.copyOf(pidVariables);
        Objects.requireNonNull(before);
        Objects.requireNonNull(socketsOf);
        cgroups = List.copyOf(cgroups);
    }

    public static ProcessRequest of(Command command) {
        return new ProcessRequest(command, new Stdio.Inherit(), new Stdio.Inherit(), new Stdio.Inherit(),
                OptionalInt.empty(), true, List.of(), false, Optional.empty(), Optional.empty(), List.of());
    }

    public ProcessRequest withStdin(Stdio s) {
        return new ProcessRequest(command, s, stdout, stderr, readinessFd, newSession, pidVariables, notifySocket,
                before, socketsOf, cgroups);
    }

    public ProcessRequest withStdout(Stdio s) {
        return new ProcessRequest(command, stdin, s, stderr, readinessFd, newSession, pidVariables, notifySocket,
                before, socketsOf, cgroups);
    }

    public ProcessRequest withReadinessFd(int fd) {
        return new ProcessRequest(command, stdin, stdout, stderr, OptionalInt.of(fd), newSession, pidVariables,
                notifySocket, before, socketsOf, cgroups);
    }

    public ProcessRequest withStderr(Stdio s) {
        return new ProcessRequest(command, stdin, stdout, s, readinessFd, newSession, pidVariables, notifySocket,
                before, socketsOf, cgroups);
    }

    public ProcessRequest withPidVariables(List<String> names) {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, names, notifySocket,
                before, socketsOf, cgroups);
    }

    public ProcessRequest withNotifySocket() {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, pidVariables, true, before,
                socketsOf, cgroups);
    }

    public ProcessRequest withBefore(Path script) {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, pidVariables, notifySocket,
                Optional.of(script), socketsOf, cgroups);
    }

    /** The same request, joining {@code group}'s directories before the exec. */
    public ProcessRequest inGroup(ControlGroup group) {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, pidVariables, notifySocket,
                before, socketsOf, group.directories());
    }

    /** The process gets the sockets of {@code service} (socket activation). */
    public ProcessRequest withSocketsOf(String service) {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, pidVariables, notifySocket,
                before, Optional.of(service), cgroups);
    }

    /**
     * The same request, joining {@code more} cgroup directories after those it joins already (a service's resource
     * controllers' on a hybrid host, after its v2 cgroup).
     */
    public ProcessRequest withCgroups(List<Path> more) {
        if (more.isEmpty()) return this;
        var all = new java.util.ArrayList<>(cgroups);
        for (Path p : more) if (!all.contains(p)) all.add(p);
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, pidVariables, notifySocket,
                before, socketsOf, all);
    }

    /** Where one standard stream of the child goes. */
    public sealed interface Stdio {
        /** The same file Vigil itself has on that fd. */
        record Inherit() implements Stdio {}

        /** /dev/null. */
        record Null() implements Stdio {}

        /** The read end of a long-lived pipe (a logger's stdin). */
        record PipeReadEnd(Pipe pipe) implements Stdio {}

        /** The write end of a long-lived pipe (a producer's stdout). */
        record PipeWriteEnd(Pipe pipe) implements Stdio {}

        /** A file, opened for reading, or for writing from the start, at the end, or after truncating it. */
        record File(java.nio.file.Path path, vigil.model.UnitSpec.Stdio.FileMode mode) implements Stdio {}

        /** The service's built-in log; stdout and stderr given the same log share its one pipe. */
        record Log(OutputLog log) implements Stdio {}
    }
}
