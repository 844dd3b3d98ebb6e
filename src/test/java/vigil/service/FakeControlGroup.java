package vigil.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A cgroup in memory: the processes a {@link FakeProcesses} started into it, plus leftovers the test puts there (a
 * double-forked daemon). A leftover leaves when the test says so, or at the {@link #deliver} after a
 * {@link #killAll}; the waiter of {@link #onEmpty} runs when the test calls {@link #deliver}, as the loop would run
 * it later.
 */
final class FakeControlGroup implements ControlGroup {
    private final FakeProcesses processes;
    private final Path directory;
    /** Processes in the cgroup that Vigil did not start itself. */
    final Set<Integer> leftovers = new LinkedHashSet<>();
    /** Each signalAll's signal, and "kill" for each cgroup.kill, in order. */
    final List<String> calls = new ArrayList<>();
    private Runnable whenEmpty;
    boolean released;

    FakeControlGroup(FakeProcesses processes, String name) {
        this.processes = processes;
        this.directory = Path.of("/cgroup/vigil.slice", name);
    }

    @Override
    public List<Path> directories() {
        return List.of(directory);
    }

    @Override
    public String name() {
        return "/vigil.slice/" + directory.getFileName();
    }

    @Override
    public List<Integer> pids() {
        List<Integer> pids = new ArrayList<>();
        for (FakeProcesses.FakeProcess p : processes.started) {
            if (!p.exited && p.request.cgroups().contains(directory)) pids.add(p.pid);
        }
        pids.addAll(leftovers);
        return pids;
    }

    @Override
    public boolean populated() {
        return !pids().isEmpty();
    }

    @Override
    public int signalAll(int signal, List<Integer> except) {
        int sent = 0;
        for (int pid : pids()) {
            if (except.contains(pid)) continue;
            sent++;
        }
        calls.add(Integer.toString(signal));
        return sent;
    }

    /** A cgroup.kill was written: the leftovers die, but, as in the kernel, not within the write. */
    private boolean killed;

    @Override
    public boolean killAll() {
        calls.add("kill");
        killed = true;
        return populated();
    }

    @Override
    public void onEmpty(Runnable whenEmpty) {
        this.whenEmpty = whenEmpty;
    }

    /** Runs the waiter if the cgroup is empty now, as the loop does after cgroup.events changed. */
    void deliver() {
        if (killed) leftovers.clear();
        killed = false;
        if (populated() || whenEmpty == null) return;
        Runnable waiter = whenEmpty;
        whenEmpty = null;
        waiter.run();
    }

    /** Whether something waits for the cgroup to empty. */
    boolean waitedFor() {
        return whenEmpty != null;
    }

    @Override
    public void release() {
        released = true;
    }
}
