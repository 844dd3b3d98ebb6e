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

    /** A mounted file system: busy (in use by something not modelled) or held by a loop device's backing file. */
    private static final class Mount {
        final String path, type;
        boolean readOnly, busy, stuckReadWrite;

        Mount(String path, String type) {
            this.path = path;
            this.type = type;
        }
    }

    /** errno's "Device or resource busy", which Vigil itself never tells apart from other failures. */
    private static final int EBUSY = 16;
    private final List<Mount> mounts = new ArrayList<>();
    /** Attached loop devices: the device, the mount its backing file is on, and the mount of its own fs. */
    private final List<String[]> loops = new ArrayList<>();
    private final List<String> swaps = new ArrayList<>();

    /** Mounts {@code type} at {@code path}, after every mount so far. */
    void mount(String path, String type) {
        mounts.add(new Mount(path, type));
    }

    /** Makes the mount at {@code path} busy (unmounting fails with EBUSY) or free again. */
    void busy(String path, boolean busy) {
        find(path).busy = busy;
    }

    /** Makes a read-only remount of {@code path} fail with EBUSY (a file open for writing). */
    void stuckReadWrite(String path) {
        find(path).stuckReadWrite = true;
    }

    /** Attaches {@code device} to a file on the mount at {@code fileOn}; {@code mountedAt} is its own fs's mount. */
    void loop(String device, String fileOn, String mountedAt) {
        loops.add(new String[] {device, fileOn, mountedAt});
    }

    void swap(String device) {
        swaps.add(device);
    }

    /** The mount points left, in mount order. */
    List<MountPoint> mountsLeft() {
        return mounts.stream().map(m -> new MountPoint(m.path, m.type, m.readOnly)).toList();
    }

    private Mount find(String path) {
        return mounts.stream().filter(m -> m.path.equals(path)).reduce((a, b) -> b).orElse(null);
    }

    @Override
    public List<MountPoint> mounts() {
        calls.add("read mounts");
        return mountsLeft();
    }

    @Override
    public void unmount(String path) throws OsException {
        calls.add("unmount " + path);
        Mount mount = find(path);
        if (mount == null) throw new OsException("umount", path, Errno.EINVAL);
        boolean hasSubmounts = mounts.stream().anyMatch(m -> m.path.startsWith(path.equals("/") ? "/" : path + "/")
                && m != mount);
        boolean holdsLoopFile = loops.stream().anyMatch(l -> l[1].equals(path));
        if (mount.busy || hasSubmounts || holdsLoopFile) throw new OsException("umount", path, EBUSY);
        mounts.remove(mount);
    }

    @Override
    public void remountReadOnly(String path) throws OsException {
        calls.add("remount read-only " + path);
        Mount mount = find(path);
        if (mount.stuckReadWrite) throw new OsException("remount read-only", path, EBUSY);
        mount.readOnly = true;
    }

    @Override
    public List<String> swaps() {
        return List.copyOf(swaps);
    }

    @Override
    public void swapOff(String device) {
        calls.add("swapoff " + device);
        swaps.remove(device);
    }

    @Override
    public List<String> loopDevices() {
        return loops.stream().map(l -> l[0]).toList();
    }

    @Override
    public void detachLoop(String device) throws OsException {
        calls.add("detach " + device);
        String[] loop = loops.stream().filter(l -> l[0].equals(device)).findFirst().orElseThrow();
        if (find(loop[2]) != null) throw new OsException("detach loop device", device, EBUSY);
        loops.remove(loop);
    }

    @Override
    public boolean executable(Path program) {
        return scripts.containsKey(program);
    }

    @Override
    public void reboot(Ending ending) throws OsException {
        calls.add("reboot " + ending.word());
        if (rebootFailure != null) throw rebootFailure;
        throw new BlockedForever();
    }
}
