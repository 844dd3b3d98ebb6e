"""Fork, exec and exit events from the kernel's process connector, for splitting one restart into its steps.

events.py listens for exec events only (a bring-up makes thousands); a restart is one process at a time, and the
fork event says when the supervisor's clone happened and the exit event when the killed process was gone, each
with the kernel's CLOCK_MONOTONIC timestamp. Needs root and the initial pid namespace, as events.py does.
"""
import errno
import select
import socket
import struct

from harness.events import CN_IDX_PROC, CN_MSG, CN_VAL_PROC, EVENT_OFFSET, NETLINK_CONNECTOR, NLMSG_DONE, \
    NLMSG_HDR, PROC_CN_MCAST_LISTEN

FORK, EXEC, EXIT = 0x1, 0x2, 0x80000000
HEAD = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
FORK_DATA = struct.Struct("=iiii")  # parent pid, parent tgid, child pid, child tgid
PID_DATA = struct.Struct("=ii")  # pid, tgid (exec and exit)


class ProcEvents:
    """read() returns [(kind, timestamp_ns, tgid, parent_tgid)]: parent_tgid for forks (None otherwise); only
    whole processes (a thread's fork, exec or exit is left out)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind((0, CN_IDX_PROC))
        # Kernels >= 6.6 take an event mask; older ones ignore a message of that size and send everything.
        payload = struct.pack("=II", PROC_CN_MCAST_LISTEN, FORK | EXEC | EXIT)
        cn = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
        self.sock.send(NLMSG_HDR.pack(NLMSG_HDR.size + len(cn), NLMSG_DONE, 0, 0, 0) + cn)
        self.sock.setblocking(False)
        self.lost = 0

    def read(self, timeout):
        out = []
        if not select.select([self.sock], [], [], timeout)[0]:
            return out
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                return out
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.lost += 1
                    continue
                raise
            offset = 0
            while offset + EVENT_OFFSET + HEAD.size <= len(data):
                length = NLMSG_HDR.unpack_from(data, offset)[0]
                what, _, ts = HEAD.unpack_from(data, offset + EVENT_OFFSET)
                body = offset + EVENT_OFFSET + HEAD.size
                if what == FORK:
                    _, ptgid, pid, tgid = FORK_DATA.unpack_from(data, body)
                    if pid == tgid:
                        out.append((FORK, ts, tgid, ptgid))
                elif what in (EXEC, EXIT):
                    pid, tgid = PID_DATA.unpack_from(data, body)
                    if pid == tgid:
                        out.append((what, ts, tgid, None))
                offset += (length + 3) & ~3
                if length == 0:
                    break

    def close(self):
        self.sock.close()
