"""The four measures: bring-up time, restart latency, memory of the supervision tree, idle context switches.

Times are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns), the clock of the kernel's exec-event stamps.
Bring-up and restart have two methods:
  events  the kernel's exec events (see events.py): exact exec times, the harness only blocks in recv;
  poll    /proc polling: the fallback where exec events cannot be had, or to cross-check them.
"""
import os
import random
import resource
import signal
import statistics
import time

from . import procfs


class BenchError(Exception):
    pass


def scan_services(workload):
    """number -> pid for every service process alive now (one full pass over /proc)."""
    found = {}
    for pid in procfs.pids():
        number = workload.number_of(procfs.cmdline(pid))
        if number is not None:
            found[number] = pid
    return found


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _check(proc, workload, found, t0_ns, timeout):
    if proc.poll() is not None:
        raise BenchError(f"supervisor exited with {proc.returncode} during bring-up "
                         f"({len(found)}/{workload.n} up)")
    if (time.monotonic_ns() - t0_ns) / 1e9 > timeout:
        raise BenchError(f"bring-up timed out after {timeout} s: {len(found)}/{workload.n} up")


def bring_up_events(events, proc, workload, t0_ns, timeout):
    """Seconds from t0_ns until the last service's exec of `sleep <number>`.

    An exec event may be read after the process has already exec'd again (sh, then sleep): the time
    kept for a pid is that of its latest exec event, and events are drained once all are seen.
    """
    cpu0 = _cpu_seconds()
    found, last_exec, rescans = {}, {}, 0
    while len(found) < workload.n:
        lost_before = events.lost
        for pid, ts in events.read(0.2):
            last_exec[pid] = ts
            number = workload.number_of(procfs.cmdline(pid))
            if number is not None:
                found[number] = pid
        if events.lost != lost_before:  # dropped events: find the rest in /proc, stamped when seen
            rescans += 1
            now = time.monotonic_ns()
            for number, pid in scan_services(workload).items():
                if number not in found:
                    found[number] = pid
                    last_exec.setdefault(pid, now)
        _check(proc, workload, found, t0_ns, timeout)
        # The kernel stamps the events, so reading them in batches costs no precision, only a few ms of
        # detection delay, and keeps the harness from waking for every exec while the supervisor works.
        time.sleep(0.01)
    detected = time.monotonic_ns()
    pids = set(found.values())
    for pid, ts in events.read(0.02):
        if pid in pids:
            last_exec[pid] = max(ts, last_exec[pid])
    times = sorted(last_exec[pid] for pid in pids)
    end = times[-1]
    quartiles = [round((times[max(0, len(times) * q // 4 - 1)] - t0_ns) / 1e9, 3) for q in (1, 2, 3)]
    return {"seconds": (end - t0_ns) / 1e9, "detected_s": (detected - t0_ns) / 1e9, "method": "events",
            "first_s": round((times[0] - t0_ns) / 1e9, 3), "quartiles_s": quartiles,
            "rescans_after_lost_events": rescans, "harness_cpu_s": round(_cpu_seconds() - cpu0, 3)}


def bring_up_poll(proc, workload, t0_ns, timeout, interval):
    """Seconds from t0_ns until a /proc pass sees every service's `sleep <number>` (late by at most one
    interval plus one pass).

    To keep the poller light while the supervisor works, a pid is read again only while it may still
    become a service: once it is a found service, or the parent of one (a supervisor), it is skipped.
    """
    cpu0 = _cpu_seconds()
    found, skip, passes = {}, {os.getpid()}, 0
    while True:
        for pid in procfs.pids():
            if pid in skip:
                continue
            number = workload.number_of(procfs.cmdline(pid))
            if number is None or number in found:
                continue
            found[number] = pid
            skip.add(pid)
            st = procfs.stat(pid)
            if st is not None:
                skip.add(st.ppid)
        passes += 1
        if len(found) == workload.n:
            seconds = (time.monotonic_ns() - t0_ns) / 1e9
            return {"seconds": seconds, "detected_s": seconds, "method": "poll", "passes": passes,
                    "harness_cpu_s": round(_cpu_seconds() - cpu0, 3)}
        _check(proc, workload, found, t0_ns, timeout)
        time.sleep(interval)


def supervision_tree(top, workload):
    """(supervisor pids, service pids) under top: the tree minus processes that are exactly a service."""
    table = procfs.ProcessTable()
    supervisors, services = [], []
    for pid in table.tree(top):
        if table.stats[pid].state == "Z":
            continue
        if workload.number_of(procfs.cmdline(pid)) is None:
            supervisors.append(pid)
        else:
            services.append(pid)
    return supervisors, services


def memory(top, workload):
    supervisors, services = supervision_tree(top, workload)
    pss = rss = 0
    for pid in supervisors:
        m = procfs.smaps_rollup(pid)
        pss += m.get("Pss", 0)
        rss += m.get("Rss", 0)
    return {"pss_kib": pss, "rss_kib": rss, "processes": len(supervisors),
            "threads": sum(len(procfs.threads(p)) for p in supervisors), "services": len(services)}


def idle(top, workload, seconds):
    """Context switches of the supervision tree over `seconds` in which the harness only sleeps."""
    supervisors, _ = supervision_tree(top, workload)
    t_a = time.monotonic()
    a = {pid: procfs.ctx_switches(pid) for pid in supervisors}
    time.sleep(max(0.0, seconds - (time.monotonic() - t_a)))
    b = {pid: procfs.ctx_switches(pid) for pid in supervisors}
    window = time.monotonic() - t_a
    after, _ = supervision_tree(top, workload)
    per = {pid: b[pid] - a[pid] for pid in supervisors}
    busiest = sorted(((d, pid) for pid, d in per.items() if d), reverse=True)[:5]
    return {"ctx_switches": sum(per.values()), "window_s": round(window, 3), "processes": len(supervisors),
            "tree_changed": sorted(after) != sorted(supervisors),
            "busiest": [{"pid": pid, "comm": (procfs.read_bytes(f"/proc/{pid}/comm") or b"?").decode().strip(),
                         "ctx_switches": d} for d, pid in busiest]}


def _kill(pid, st, number):
    """SIGKILL pid through a pidfd, after checking it is still the service; returns the kill's time."""
    pidfd = os.pidfd_open(pid)
    try:
        if procfs.stat(pid) != st or procfs.cmdline(pid) != b"sleep\0%d\0" % number:
            raise BenchError(f"service {number} (pid {pid}) changed before the kill")
        t0 = time.monotonic_ns()
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return t0
    finally:
        os.close(pidfd)


def _restart_events(events, number, pid, st, timeout):
    """ns from the kill until the exec that gives a new process the service's cmdline."""
    expected = b"sleep\0%d\0" % number
    events.read(0)  # forget what happened before the kill
    t0 = _kill(pid, st, number)
    last_exec, deadline = {}, t0 + timeout * 1e9
    while time.monotonic_ns() < deadline:
        for p, ts in events.read(0.5):
            last_exec[p] = max(ts, last_exec.get(p, 0))
            if p != pid and procfs.cmdline(p) == expected:
                for q, ts2 in events.read(0.005):  # the sleep's own exec, if this event was its sh's
                    if q == p:
                        last_exec[p] = max(ts2, last_exec[p])
                return last_exec[p] - t0, p, {}
        if events.lost:
            raise BenchError("the kernel dropped exec events during a restart measurement")
    raise BenchError(f"service {number} not restarted within {timeout} s")


def _restart_poll(number, pid, st, timeout):
    """ns from the kill until a pass sees a new process with the service's cmdline.

    The new process is looked for among the new children of the killed one's parent, read through
    pre-opened /proc/P/task/*/children files: a few preads per pass, busy for 50 ms, then 0.1 ms naps.
    If the parent never shows it (a supervisor that double-forks), a full /proc scan every 50 ms is the
    fallback.
    """
    expected = b"sleep\0%d\0" % number
    watch = procfs.ChildrenWatch(st.ppid)
    pids_before = set(procfs.pids())
    try:
        before = watch.read()
        t0 = _kill(pid, st, number)
        pid_b = b"%d" % pid
        candidates, passes = set(), 0
        last_refresh = last_scan = t0
        while True:
            passes += 1
            candidates.update(c for c in watch.read() - before if c != pid_b)
            for c in candidates:
                if procfs.cmdline(int(c)) == expected:
                    return time.monotonic_ns() - t0, int(c), {"passes": passes, "fallback": False}
            now = time.monotonic_ns()
            elapsed = now - t0
            if elapsed > timeout * 1e9:
                raise BenchError(f"service {number} not restarted within {timeout} s")
            if now - last_refresh > 20_000_000:  # the parent may have started new threads
                watch.refresh()
                last_refresh = now
            if elapsed > 200_000_000 and now - last_scan > 50_000_000:
                last_scan = now
                for p in set(procfs.pids()) - pids_before:
                    if procfs.cmdline(p) == expected:
                        return time.monotonic_ns() - t0, p, {"passes": passes, "fallback": True}
            if elapsed > 50_000_000:
                time.sleep(0.0001)
    finally:
        watch.close()


def restarts(workload, up, kills, seed, events=None, timeout=15.0, pause=0.2):
    """Median restart latency over `kills` SIGKILLs, each of a different service that has run > 1 s.

    `up` (number -> pid) is updated in place with the new pids. With `events` the latency ends at the
    kernel's stamp of the exec; without, when the /proc poller sees the new process.
    """
    rng = random.Random(seed)
    order = [s.number for s in workload.services]
    rng.shuffle(order)
    samples, details = [], []
    for number in order:
        if len(samples) == kills:
            break
        pid = up[number]
        st = procfs.stat(pid)
        if st is None or procfs.age_seconds(st) <= 1.0:
            continue
        if events is not None:
            ns, new_pid, info = _restart_events(events, number, pid, st, timeout)
        else:
            ns, new_pid, info = _restart_poll(number, pid, st, timeout)
        up[number] = new_pid
        samples.append(ns / 1e6)
        details.append({"number": number, "ms": round(ns / 1e6, 3), **info})
        # Let the supervisor finish its bookkeeping, then make sure the service is still up before the next.
        time.sleep(pause)
        if procfs.cmdline(new_pid) != b"sleep\0%d\0" % number:
            raise BenchError(f"service {number} died again after its restart")
    if len(samples) < kills:
        raise BenchError(f"only {len(samples)} services had run > 1 s")
    samples.sort()
    return {"median_ms": statistics.median(samples), "min_ms": samples[0], "max_ms": samples[-1],
            "p90_ms": samples[min(len(samples) - 1, int(0.9 * len(samples)))], "kills": len(samples),
            "method": "events" if events is not None else "poll",
            "fallbacks": sum(1 for d in details if d.get("fallback")), "samples": details}
