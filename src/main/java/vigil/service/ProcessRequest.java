package vigil.service;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.Command;

/**
 * One process to start: the command plus where its standard streams go, the fd it reports readiness on, whether it
 * gets a session of its own (so a terminal's Ctrl-C reaches Vigil, not every service directly), and a script to run
 * first in the new process, runsv's {@code control/u}.
 *
 * @param before run (if its owner may execute it) and waited for in the new process, just before the command is
 *               executed, with the command's stdio; its exit status is ignored
 */
public record ProcessRequest(Command command, Stdio stdin, Stdio stdout, Stdio stderr, OptionalInt readinessFd,
                             boolean newSession, Optional<Path> before) {
    public ProcessRequest {
        Objects.requireNonNull(command);
        Objects.requireNonNull(stdin);
        Objects.requireNonNull(stdout);
        Objects.requireNonNull(stderr);
        Objects.requireNonNull(readinessFd);
        Objects.requireNonNull(before);
    }

    public static ProcessRequest of(Command command) {
        return new ProcessRequest(command, new Stdio.Inherit(), new Stdio.Inherit(), new Stdio.Inherit(),
                OptionalInt.empty(), true, Optional.empty());
    }

    public ProcessRequest withStdin(Stdio s) {
        return new ProcessRequest(command, s, stdout, stderr, readinessFd, newSession, before);
    }

    public ProcessRequest withStdout(Stdio s) {
        return new ProcessRequest(command, stdin, s, stderr, readinessFd, newSession, before);
    }

    public ProcessRequest withReadinessFd(int fd) {
        return new ProcessRequest(command, stdin, stdout, stderr, OptionalInt.of(fd), newSession, before);
    }

    public ProcessRequest withBefore(Path script) {
        return new ProcessRequest(command, stdin, stdout, stderr, readinessFd, newSession, Optional.of(script));
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
    }
}
