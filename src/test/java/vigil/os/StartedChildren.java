package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The children a test started, killed and reaped by {@link #cleanUp} whatever happened. */
final class StartedChildren {
    private final List<Integer> pids = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();

    Spawned spawn(ExecSpec spec) throws OsException {
        return track(Spawn.spawn(spec));
    }

    /** Takes over clean-up of a child the test started another way (through a {@link Spawner}). */
    Spawned track(Spawned spawned) {
        pids.add(spawned.pid());
        return spawned;
    }

    /** Takes over clean-up of a process the test learnt of another way (an adopted orphan). */
    int track(int pid) {
        pids.add(pid);
        return pid;
    }

    /** Remembers an fd (a pipe end, a pidfd) to close at clean-up; closing it twice is harmless in a test. */
    int fd(int fd) {
        fds.add(fd);
        return fd;
    }

    /** Remembers both ends of a pipe, for chaining: {@code int[] p = children.fdPair(Fds.pipe(0))}. */
    int[] fdPair(int[] pipe) {
        fd(pipe[0]);
        fd(pipe[1]);
        return pipe;
    }

    /** Reaps {@code pid} and forgets it; blocking, so the test must know it is ending. */
    ExitStatus reap(int pid) throws OsException {
        ExitStatus status = Children.waitPid(pid, true).orElseThrow();
        pids.remove(Integer.valueOf(pid));
        return status;
    }

    void cleanUp() throws OsException {
        for (int pid : pids) {
            Children.sendSignal(pid, Signals.SIGKILL);
            try {
                Children.waitPid(pid, true);
            } catch (OsException e) {
                if (e.errno() != Errno.ECHILD) throw e;
            }
        }
        pids.clear();
        fds.forEach(Fds::close);
        fds.clear();
    }

    /** Everything readable from a blocking fd until EOF. */
    static String readAll(int fd) throws OsException {
        var out = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            long n;
            while ((n = Fds.read(fd, buffer, buffer.byteSize())) > 0) {
                out.append(new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
