"""Exec events from the kernel's process connector (netlink, NETLINK_CONNECTOR / CN_IDX_PROC).

Every execve in the system is reported with the pid and a CLOCK_MONOTONIC timestamp taken by the kernel at
the end of the exec. So "the moment a process with cmdline `sleep N` came to exist" is the timestamp of the
last exec event of the pid that now shows that cmdline, without any polling: the harness just blocks in
recv while the supervisor works, and disturbs it far less than a /proc poller would. Needs CAP_NET_ADMIN
(root) and the initial pid namespace; `available()` tells whether it works here.
"""
import errno
import select
import socket
import struct
import subprocess
import time

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_EVENT_EXEC = 0x2
NLMSG_DONE = 3
NLMSG_HDR = struct.Struct("=IHHII")
CN_MSG = struct.Struct("=IIIIHH")
# proc_event: what u32, cpu u32, timestamp_ns u64, then for exec: process_pid, process_tgid.
EXEC_EVENT = struct.Struct("=IIQii")
EVENT_OFFSET = NLMSG_HDR.size + CN_MSG.size


class ExecEvents:
    """A subscription to exec events. read() returns [(pid, timestamp_ns)] for exec events only."""

    def __init__(self, filtered=True):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        self.lost = 0
        try:
            # Bursts of thousands of events during a bring-up: a big buffer, so none are dropped (ENOBUFS).
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        self.sock.bind((0, CN_IDX_PROC))
        # Kernels >= 6.6 take {op, event mask} and then send only exec events; older ones ignore a message
        # of that size, which is why the caller checks with a test exec (see open_exec_events).
        payload = struct.pack("=II", PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC) if filtered \
            else struct.pack("=I", PROC_CN_MCAST_LISTEN)
        cn = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
        self.sock.send(NLMSG_HDR.pack(NLMSG_HDR.size + len(cn), NLMSG_DONE, 0, 0, 0) + cn)
        self.sock.setblocking(False)

    def read(self, timeout):
        """Exec events that arrive within `timeout` seconds (all pending ones if any are pending)."""
        out = []
        if not select.select([self.sock], [], [], timeout)[0]:
            return out
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                return out
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # the kernel dropped events: the caller must rescan
                    self.lost += 1
                    continue
                raise
            offset = 0
            while offset + EVENT_OFFSET + EXEC_EVENT.size <= len(data):
                length = NLMSG_HDR.unpack_from(data, offset)[0]
                what, _, ts, pid, tgid = EXEC_EVENT.unpack_from(data, offset + EVENT_OFFSET)
                if what == PROC_EVENT_EXEC and pid == tgid:
                    out.append((pid, ts))
                offset += (length + 3) & ~3
                if length == 0:
                    break

    def close(self):
        self.sock.close()


def open_exec_events():
    """An ExecEvents that has been seen to work (a test exec was reported), or None if exec events cannot be
    had here (not root, another pid namespace, no CONFIG_PROC_EVENTS)."""
    for filtered in (True, False):
        try:
            events = ExecEvents(filtered)
        except OSError:
            return None
        probe = subprocess.Popen(["/bin/true"])
        probe.wait()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if any(pid == probe.pid for pid, _ in events.read(0.1)):
                return events
        events.close()
    return None

