package vigil.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import vigil.model.UnitSpec;
import vigil.os.ExitStatus;

/** PID files, environment files, adopted processes and process groups that exist only in memory. */
final class FakeUnitOs implements UnitOs {
    final Map<Path, Integer> pidFiles = new HashMap<>();
    /** Why a PID file is not root's alone, by path; one not here is trusted. */
    final Map<Path, String> untrustedPidFiles = new HashMap<>();
    /** Pids that exist and may be adopted. */
    final Set<Integer> existing = new HashSet<>();
    /** The parent of each pid that has one worth knowing: what tells a unit's descendants from other processes. */
    final Map<Integer, Integer> parents = new HashMap<>();
    final Map<Integer, Adopted> adopted = new HashMap<>();
    /** What a forking start left behind, reparented to Vigil (GuessMainPID=), as a test sets it. */
    final List<Integer> orphans = new ArrayList<>();
    /** Process groups with processes in them. */
    final Set<Integer> liveGroups = new HashSet<>();
    /** The process group of each pid that leads one of its own (a daemon after setsid); others have none here. */
    final Map<Integer, Integer> processGroups = new HashMap<>();
    /** "pgid:signal" for every group signal sent to a live group. */
    final List<String> groupSignals = new ArrayList<>();
    final Set<Path> made = new HashSet<>();
    /** "made PATH" and "removed PATH", in the order the unit asked. */
    final List<String> directoryLog = new ArrayList<>();
    /** EnvironmentFile= contents by path, changed as a test likes; a path not here does not exist. */
    final Map<Path, Map<String, String>> environmentFiles = new HashMap<>();
    /** Every EnvironmentFile= read, in order. */
    final List<Path> environmentReads = new ArrayList<>();
    boolean failDirectories;
    /** The OOM killer's count in the units' resource cgroups, set as a test likes. */
    long oomKills;
    /** The resource cgroups each start asked for, and "released UNIT" when a unit went down, in order. */
    final List<String> resourceLog = new ArrayList<>();
    /** Why resource cgroups cannot be made, if they cannot. */
    String failResources;
    /** "Check:argument" of every condition that holds; the rest do not. */
    final Set<String> holding = new HashSet<>();
    /** The open notify sockets, by unit, with what their messages go to. */
    final Map<String, NotifyReceiver> notifySockets = new HashMap<>();

    static final class Adopted implements RunningProcess {
        final int pid;
        final ProcessObserver observer;
        final List<Integer> signals = new ArrayList<>();
        boolean exited;

        Adopted(int pid, ProcessObserver observer) {
            this.pid = pid;
            this.observer = observer;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Optional<String> signal(int signal) {
            if (!exited) signals.add(signal);
            return Optional.empty();
        }

        void exit(ExitStatus status) {
            exited = true;
            observer.exited(status);
        }
    }

    @Override
    public RunningProcess adopt(int pid, List<RunningProcess> unitProcesses, Optional<ControlGroup> group,
                                boolean vouched, ProcessObserver observer) throws SpawnException {
        if (!existing.contains(pid)) throw new SpawnException("no such process " + pid, 3);
        boolean belongs = group.isPresent() ? group.get().pids().contains(pid) : descends(pid, unitProcesses);
        if (!vouched && !belongs) throw new SpawnException("pid " + pid + " is foreign", 1);
        Adopted a = new Adopted(pid, observer);
        adopted.put(pid, a);
        return a;
    }

    private boolean descends(int pid, List<RunningProcess> unitProcesses) {
        for (Integer at = pid; at != null; at = parents.get(at)) {
            int p = at;
            if (unitProcesses.stream().anyMatch(u -> u.pid() == p)) return true;
        }
        return false;
    }

    /** The start of each fake process, in ticks: what a re-exec's retake compares; 0 for one not set. */
    final Map<Integer, Long> startTicks = new HashMap<>();

    @Override
    public OptionalLong startTicks(RunningProcess process) {
        return OptionalLong.of(startTicks.getOrDefault(process.pid(), 0L));
    }

    @Override
    public RunningProcess retake(UnitSnapshot.Main main, ProcessRequest.Stdio stdout, ProcessObserver observer)
            throws SpawnException {
        if (!existing.contains(main.pid())) throw new SpawnException("no such process " + main.pid(), 3);
        if (startTicks.getOrDefault(main.pid(), 0L) != main.startTicks()) {
            throw new SpawnException("pid " + main.pid() + " is another process now", 3);
        }
        Adopted a = new Adopted(main.pid(), observer);
        adopted.put(main.pid(), a);
        return a;
    }

    /** Processes the unit let go of. */
    final List<RunningProcess> released = new ArrayList<>();

    @Override
    public void release(RunningProcess process) {
        released.add(process);
    }

    @Override
    public Optional<PidFile> readPidFile(Path file) {
        Integer pid = pidFiles.get(file);
        return pid == null ? Optional.empty()
                : Optional.of(new PidFile(pid, Optional.ofNullable(untrustedPidFiles.get(file))));
    }

    @Override
    public Map<String, String> readEnvironmentFile(Path file) throws SpawnException {
        environmentReads.add(file);
        Map<String, String> content = environmentFiles.get(file);
        if (content == null) throw new SpawnException("No such file or directory", 2);
        return content;
    }

    @Override
    public boolean holds(UnitSpec.Condition condition) {
        return holding.contains(condition.check() + ":" + condition.argument());
    }

    @Override
    public void makeDirectories(List<UnitSpec.Directory> directories) throws SpawnException {
        if (failDirectories) throw new SpawnException("Permission denied", 13);
        for (UnitSpec.Directory d : directories) {
            made.add(d.path());
            directoryLog.add("made " + d.path());
        }
    }

    @Override
    public void removeDirectories(List<UnitSpec.Directory> directories) {
        for (UnitSpec.Directory d : directories) {
            made.remove(d.path());
            directoryLog.add("removed " + d.path());
        }
    }

    @Override
    public List<Path> resourceCgroups(UnitSpec spec) throws SpawnException {
        if (failResources != null) throw new SpawnException(failResources, vigil.os.Errno.EPERM);
        if (!spec.resources().limitsAnything()) return List.of();
        resourceLog.add("prepared " + spec.name());
        return List.of(Path.of("/sys/fs/cgroup/memory/vigil.slice", spec.name()));
    }

    @Override
    public long oomKills(String unit) {
        return oomKills;
    }

    @Override
    public void releaseResourceCgroups(String unit) {
        resourceLog.add("released " + unit);
    }

    @Override
    public List<Integer> forkedOrphans(Optional<ControlGroup> group, long sinceTicks) {
        return List.copyOf(orphans);
    }

    @Override
    public int processGroupOf(int pid) {
        return processGroups.getOrDefault(pid, 0);
    }

    @Override
    public boolean signalGroup(int pgid, int signal) {
        if (!liveGroups.contains(pgid)) return false;
        if (signal != 0) groupSignals.add(pgid + ":" + signal);
        return true;
    }

    @Override
    public Optional<Path> openNotifySocket(String unit, NotifyReceiver receiver) {
        notifySockets.put(unit, receiver);
        return Optional.of(Path.of("/run/vigil/notify", unit));
    }

    @Override
    public void closeNotifySocket(String unit) {
        notifySockets.remove(unit);
    }

    /** A datagram on the unit's socket; false if its NotifyAccess= refused it. */
    boolean notify(String unit, int senderPid, int senderUid, Map<String, String> fields) {
        NotifyReceiver receiver = notifySockets.get(unit);
        if (receiver == null) throw new AssertionError(unit + " has no notify socket");
        return receiver.receive(senderPid, senderUid, fields);
    }
}
