package vigil.service;

import java.util.ArrayList;
import java.util.List;
import vigil.model.UnitSpec.KillMode;

/**
 * How {@code KillMode=} reaches a unit's processes when it has a cgroup, as systemd's unit_kill_context() does:
 * <ul>
 *   <li>{@code control-group}: every process of the cgroup gets each signal, the final SIGKILL through
 *       {@code cgroup.kill}; the stop waits until the cgroup is empty;</li>
 *   <li>{@code mixed}: the soft signal goes to the main (and control) process only, the final kill to the whole
 *       cgroup, and the stop goes on to that kill while the cgroup still holds processes;</li>
 *   <li>{@code process}: only the main and control processes are signalled, the rest is left alone;</li>
 *   <li>{@code none}: nothing is signalled.</li>
 * </ul>
 */
final class UnitKill {
    private UnitKill() {}

    /**
     * Sends {@code signal} (and {@code extra} after it, SIGCONT and SIGHUP) as {@code mode} says; returns whether
     * the stop must wait for the cgroup to empty beyond the main and control processes.
     *
     * @param tracked the main and control processes still running, signalled through their pidfds
     * @param last    the final kill (SIGKILL), which mixed sends to the whole cgroup
     */
    static Sent signal(KillMode mode, ControlGroup group, List<RunningProcess> tracked, int signal, List<Integer> extra,
                       boolean last, int finalSignal) {
        boolean wholeGroup = mode == KillMode.CONTROL_GROUP || (mode == KillMode.MIXED && last);
        int sent = 0;
        List<Integer> pids = new ArrayList<>(tracked.size());
        for (RunningProcess p : tracked) {
            pids.add(p.pid());
            if (p.signal(signal).isEmpty()) {
                sent++;
                for (int s : extra) p.signal(s);
            }
        }
        if (!wholeGroup) return new Sent(sent, 0, false);
        int rest;
        if (last && signal == finalSignal && signal == vigil.os.Signals.SIGKILL) {
            // Atomic: a process that forks meanwhile cannot slip through, as one-by-one signals would let it.
            rest = group.killAll() ? 1 : 0;
        } else {
            rest = group.signalAll(signal, pids);
            for (int s : extra) group.signalAll(s, pids);
        }
        return new Sent(sent, rest, true);
    }

    /**
     * What a signal reached.
     *
     * @param tracked   how many of the main and control processes got it
     * @param rest      how many other processes of the cgroup got it (1 for a cgroup.kill of a populated one)
     * @param waitGroup whether the stop waits for the whole cgroup to empty
     */
    record Sent(int tracked, int rest, boolean waitGroup) {
        boolean any() {
            return tracked + rest > 0;
        }
    }
}
