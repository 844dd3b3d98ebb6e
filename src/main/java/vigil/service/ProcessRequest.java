package vigil.service;

import java.util.Objects;
import java.util.OptionalInt;
import vigil.model.Command;

/**
 * One process to start: the command plus where its standard streams go, the fd it reports readiness on, and
 * whether it gets a session of its own (so a terminal's Ctrl-C reaches Vigil, not every service directly).
 */
public record ProcessRequest(Command command, Stdio stdin, Stdio stdout, Stdio stderr, OptionalInt readinessFd,
                             boolean newSession) {
    public ProcessRequest {
        Objects.requireNonNull(command);
        Objects.requireNonNull(stdin);
        Objects.requireNonNull(stdout);
        Objects.requireNonNull(stderr);
        Objects.requireNonNull(readinessFd);
    }

    public static ProcessRequest of(Command command) {
        return new ProcessRequest(command, new Stdio.Inherit(), new Stdio.Inherit(), new Stdio.Inherit(),
                OptionalInt.empty(), true);
    }

    public ProcessRequest withStdin(Stdio s) {
        return new ProcessRequest(command, s, stdout, stderr, readinessFd, newSession);
    }

    public ProcessRequest withStdout(Stdio s) {
        return new ProcessRequest(command, stdin, s, stderr, readinessFd, newSession);
    }

    public ProcessRequest withStderr(Stdio s) {
        return new ProcessRequest(command, stdin, stdout, s, readinessFd, newSession);
    }

    public ProcessRequest withReadinessFd(int fd) {
        return new ProcessRequest(command, stdin, stdout, stderr, OptionalInt.of(fd), newSession);
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

        /** The service's built-in log; stdout and stderr given the same log share its one pipe. */
        record Log(OutputLog log) implements Stdio {}
    }
}
