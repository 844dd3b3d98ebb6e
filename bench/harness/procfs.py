"""Small, allocation-light readers for /proc, used by every measure.

Everything here reads files; nothing here signals a process.
"""
import os
import time
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_bytes(path):
    """Whole content of a /proc file, or None if the process (or file) is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                return b"".join(chunks)
            chunks.append(b)
    except OSError:
        return None
    finally:
        os.close(fd)


def cmdline(pid):
    return read_bytes(f"/proc/{pid}/cmdline")


@dataclass(frozen=True)
class Stat:
    pid: int
    state: str
    ppid: int
    starttime: int  # clock ticks since boot


def stat(pid):
    data = read_bytes(f"/proc/{pid}/stat")
    if not data:
        return None
    # comm may contain spaces and parentheses: fields start after the last ')'.
    rest = data[data.rindex(b")") + 2:].split()
    return Stat(pid, rest[0].decode(), int(rest[1]), int(rest[19]))


def pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def uptime_ticks():
    """Now, in the clock that /proc/PID/stat starttime uses (CLOCK_BOOTTIME in ticks)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) * CLK_TCK


def age_seconds(st):
    return (uptime_ticks() - st.starttime) / CLK_TCK


class ProcessTable:
    """One snapshot of every process's stat, with a parent -> children index."""

    def __init__(self):
        self.stats = {}
        self.children = {}
        for pid in pids():
            st = stat(pid)
            if st is None:
                continue
            self.stats[pid] = st
            self.children.setdefault(st.ppid, []).append(pid)

    def descendants(self, root):
        """Every live descendant of root (root excluded), parents before children."""
        out, todo = [], list(self.children.get(root, ()))
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(self.children.get(pid, ()))
        return out

    def tree(self, top):
        """top and all its descendants, if top is alive."""
        if top not in self.stats:
            return self.descendants(top)
        return [top] + self.descendants(top)


def threads(pid):
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def ctx_switches(pid):
    """Voluntary + involuntary context switches summed over all threads of pid (0 if gone)."""
    total = 0
    for tid in threads(pid):
        data = read_bytes(f"/proc/{pid}/task/{tid}/status")
        if not data:
            continue
        for line in data.split(b"\n"):
            if line.startswith(b"voluntary_ctxt_switches:") or line.startswith(b"nonvoluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def smaps_rollup(pid):
    """Pss and Rss in kB from /proc/PID/smaps_rollup, as a dict; empty if gone."""
    data = read_bytes(f"/proc/{pid}/smaps_rollup")
    out = {}
    if not data:
        return out
    for line in data.split(b"\n"):
        if line.startswith(b"Pss:") or line.startswith(b"Rss:"):
            key, value = line.split()[:2]
            out[key[:-1].decode()] = int(value)
    return out


class ChildrenWatch:
    """Pre-opened /proc/P/task/*/children files of one parent, re-read with pread(0).

    The children file is a seq_file: a pread at offset 0 regenerates it, so polling costs one syscall per
    thread and no open/close.  A multi-threaded parent lists each child under the thread that forked it.
    """

    def __init__(self, parent):
        self.parent = parent
        self.fds = {}
        self.refresh()

    def refresh(self):
        for tid in threads(self.parent):
            if tid not in self.fds:
                try:
                    self.fds[tid] = os.open(f"/proc/{self.parent}/task/{tid}/children", os.O_RDONLY)
                except OSError:
                    pass

    def read(self):
        out = set()
        for fd in self.fds.values():
            try:
                data = os.pread(fd, 1 << 20, 0)
            except OSError:
                continue
            out.update(data.split())
        return out

    def close(self):
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
