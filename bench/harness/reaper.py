"""Starting a supervisor tree and taking it down again, signalling only our own processes, by pid.

The harness makes itself a child subreaper, so nothing it starts can leave its process tree: a process whose
parent dies is re-parented to the harness, not to init.  "Ours" is therefore exactly "a descendant of the
harness".  Every signal goes through a pidfd that is checked against the (pid, starttime) we saw, so a
recycled pid (pid_max may be as low as 32768) is never signalled.
"""
import ctypes
import os
import signal
import subprocess
import time

from . import procfs

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def launch(argv, cwd, log_path):
    """Start the supervisor in its own session (so a terminal ^C reaches only the harness)."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def signal_exact(pid, starttime, sig):
    """Send sig to pid only if it is still the process that started at starttime. True if sent."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return False
    try:
        st = procfs.stat(pid)  # read after pidfd_open: if it matches now, fd is that process
        if st is None or st.starttime != starttime or st.state == "Z":
            return False
        signal.pidfd_send_signal(fd, sig)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def reap_all():
    """Collect every exited child (including re-parented orphans) without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def ours():
    """(pid, starttime) of every live descendant of the harness, zombies excluded."""
    table = procfs.ProcessTable()
    return [(p, table.stats[p].starttime) for p in table.descendants(os.getpid())
            if table.stats[p].state != "Z"]


def tree_of(top):
    table = procfs.ProcessTable()
    return [(p, table.stats[p].starttime) for p in table.tree(top)]


def alive(pid, starttime):
    st = procfs.stat(pid)
    return st is not None and st.starttime == starttime and st.state != "Z"


def take_down(proc, stop_signal, grace=5.0):
    """Stop the tree under proc: its own stop signal first, then freeze and SIGKILL whatever is left.

    Returns a dict with what happened; raises nothing for processes that are already gone.
    """
    top = proc.pid
    before = tree_of(top)
    top_st = procfs.stat(top)
    report = {"tree_before": len(before), "graceful": False, "killed": 0}
    if top_st is not None and top_st.state != "Z":
        signal_exact(top, top_st.starttime, stop_signal)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            reap_all()
            if not ours():
                report["graceful"] = True
                break
            time.sleep(0.05)
    # Freeze first so no supervisor restarts a service while we kill: repeat until a pass finds no one new.
    seen = set()
    for _ in range(50):
        current = ours() + [p for p in before if alive(*p)]
        fresh = [p for p in current if p not in seen]
        if not fresh:
            break
        for p in fresh:
            signal_exact(*p, signal.SIGSTOP)
        seen.update(fresh)
    for p in seen:
        if signal_exact(*p, signal.SIGKILL):
            report["killed"] += 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        reap_all()
        left = ours() + [p for p in before if alive(*p)]
        if not left:
            break
        for p in left:  # e.g. a child forked in the instant between freezing its parent and listing it
            signal_exact(*p, signal.SIGKILL)
        time.sleep(0.02)
    reap_all()
    try:
        proc.wait(timeout=0)
    except (subprocess.TimeoutExpired, ChildProcessError):
        pass
    return report


def leftovers(workload=None):
    """Processes of ours still alive: descendants of the harness, plus any process anywhere running one of
    the workload's exact cmdlines (which would mean one escaped the tree)."""
    left = [p for p, _ in ours()]
    if workload is not None:
        for pid in procfs.pids():
            if pid not in left and workload.number_of(procfs.cmdline(pid)) is not None:
                st = procfs.stat(pid)
                if st is not None and st.state != "Z":
                    left.append(pid)
    return left

