package vigil.os;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A process started by {@link Spawn#spawn}: its pid and, if it went through vigil-exec, the non-blocking,
 * close-on-exec read end of the helper's error pipe. The pipe reaches EOF once the program has been exec'd
 * (success) or the helper has exited; a failing helper writes its report (see {@link Spawn#parseFailure}) first.
 * The owner must close the fd. Without a pipe the program was spawned directly and is already exec'd.
 */
public record Spawned(int pid, OptionalInt errorPipeReadFd) {
    /**
     * Blocks until the helper has exec'd the program or given up, then closes the error pipe. Empty means the
     * program is running; otherwise the helper exits (or has exited) with code 111. For callers outside the event
     * loop, which instead polls the fd.
     */
    public Optional<ExecFailure> awaitExec() throws OsException {
        if (errorPipeReadFd.isEmpty()) return Optional.empty();
        int errorPipeReadFd = this.errorPipeReadFd.getAsInt();
        var report = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            while (true) {
                long n = Fds.read(errorPipeReadFd, buffer, buffer.byteSize());
                if (n == 0) break;
                if (n < 0) {
                    Poll.readable(errorPipeReadFd, -1);
                    continue;
                }
                report.writeBytes(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
        } finally {
            Fds.close(errorPipeReadFd);
        }
        if (report.size() == 0) return Optional.empty();
        byte[] bytes = report.toByteArray();
        // A report this build cannot parse still means the exec failed.
        return Spawn.parseFailure(bytes)
                .or(() -> Optional.of(new ExecFailure("report", new String(bytes, StandardCharsets.UTF_8), Errno.EIO)));
    }
}
