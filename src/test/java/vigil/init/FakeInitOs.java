package vigil.init;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vigil.os.Ending;
import vigil.os.Errno;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Reaped;
import vigil.os.Signals;

/**
 * The init's system on a virtual clock: children that exit when told or at a set time, and a record of every
 * signal, sync and reboot. Waiting moves the clock to the next exit, or by the whole timeout when none is due.
 */
final class FakeInitOs implements InitOs {
    /** Thrown where the real init would block forever: nothing is left to happen. */
    static final class BlockedForever extends RuntimeException {}

    /** A child: exits at {@code exitAt} nanos (or never, if MAX), unless a signal ends it first. */
    private static final class Child {
        final int pid;
        long exitAt;
        ExitStatus status;
        final Set<Integer> ignored;

        Child(int pid, long exitAt, ExitStatus status, Set<Integer> ignored) {
            this.pid = pid;
            this.exitAt = exitAt;
            this.status = status;
            this.ignored = ignored;
        }
    }

    private long now;
    private int nextPid = 100;
    private final List<Child> children = new ArrayList<>();
    /** What each script does when started, by path: its run time and exit code. */
    private final Map<Path, long[]> scripts = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    /** Signals to PID 1, by when they come: each becomes part of the first await that reaches its time. */
    private final java.util.TreeMap<Long, Integer> signals = new java.util.TreeMap<>();
    OsException rebootFailure;
    /** False for a container's init. */
    boolean machineInit = true;

    /** Thrown where the real init would exit. */
    static final class Exited extends RuntimeException {
        final int code;

        Exited(int code) {
            this.code = code;
        }
    }

    /** A script that exits {@code code} after {@code runNanos}; one never set fails to start (ENOENT). */
    void script(Path path, long runNanos, int code) {
        scripts.put(path, new long[] {runNanos, code});
    }

    /** A process that is already a child (an orphan, say) and exits after {@code runNanos}, or never (MAX). */
    int child(long runNanos, Set<Integer> ignoredSignals) {
        int pid = nextPid++;
        long at = runNanos == Long.MAX_VALUE ? Long.MAX_VALUE : now + runNanos;
        children.add(new Child(pid, at, ExitStatus.exited(0), ignoredSignals));
        return pid;
    }

    @Override
    public int start(Path script, List<String> argv) throws OsException {
        long[] behaviour = scripts.get(script);
        if (behaviour == null) throw new OsException("exec", script.toString(), Errno.ENOENT);
        calls.add("start " + String.join(" ", argv));
        int pid = nextPid++;
        long at = behaviour[0] == Long.MAX_VALUE ? Long.MAX_VALUE : now + behaviour[0];
        children.add(new Child(pid, at, ExitStatus.exited((int) behaviour[1]), Set.of()));
        return pid;
    }

    @Override
    public Reaping reap() {
        List<Reaped> exited = new ArrayList<>();
        for (Child c : List.copyOf(children)) {
            if (c.exitAt <= now) {
                children.remove(c);
                exited.add(new Reaped(c.pid, c.status));
            }
        }
        return new Reaping(exited, !children.isEmpty());
    }

    /** A signal to PID 1 at {@code atNanos}. */
    void signalAt(long atNanos, int signal) {
        signals.put(atNanos, signal);
    }

    @Override
    public long await(long timeoutNanos) {
        long next = Math.min(children.stream().mapToLong(c -> c.exitAt).min().orElse(Long.MAX_VALUE),
                signals.isEmpty() ? Long.MAX_VALUE : signals.firstKey());
        if (next == Long.MAX_VALUE && timeoutNanos == Long.MAX_VALUE) throw new BlockedForever();
        now = Math.max(now, Math.min(next, timeoutNanos == Long.MAX_VALUE ? next : now + timeoutNanos));
        long came = 0;
        while (!signals.isEmpty() && signals.firstKey() <= now) {
            came |= 1L << (signals.pollFirstEntry().getValue() - 1);
        }
        return came;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public boolean signalEveryOtherProcess(int signal) {
        calls.add("signal every process " + Signals.name(signal));
        if (children.isEmpty()) return false;
        for (Child c : children) {
            boolean ends = signal == Signals.SIGKILL || signal != Signals.SIGCONT && !c.ignored.contains(signal);
            if (ends && c.exitAt > now) {
                c.exitAt = now;
                c.status = ExitStatus.killed(signal);
            }
        }
        return true;
    }

    @Override
    public void sync() {
        calls.add("sync");
    }

    @Override
    public boolean machineInit() {
        return machineInit;
    }

    @Override
    public void exit(int code) {
        calls.add("exit " + code);
        throw new Exited(code);
    }

    @Override
    public void reboot(Ending ending) throws OsException {
        calls.add("reboot " + ending.word());
        if (rebootFailure != null) throw rebootFailure;
        throw new BlockedForever();
    }
}
