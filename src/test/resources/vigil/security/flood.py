# FloodIT's hostile client, run as uid 65534. Every socket it opens dies with it.
#   flood.py hold PATH COUNT PAYLOAD [go]
#                                       open COUNT connections (after a line "go" on stdin, if asked), each sending
#                                       PAYLOAD bytes with no newline; print "connected N"; on a line "count" on
#                                       stdin, print "open N" (connections the daemon has not closed); exit at the
#                                       end of stdin
#   flood.py probe PATH                 on a line "go", send one status request; print "reply MS LINE"
#   flood.py requests PATH CONNS EACH SECONDS
#                                       open CONNS connections, pipeline EACH status requests on each, count the
#                                       replies that come within SECONDS; print "sending" once connected, then
#                                       "replies N elapsed S"
import os, select, socket, sys, time

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    s.connect(path)
    s.setblocking(False)
    return s

def closed_by_peer(s):
    try:
        data = s.recv(1 << 16)
        return data == b"" or b'"busy"' in data
    except BlockingIOError:
        return False
    except OSError:
        return True

def hold(path, count, payload, wait):
    if wait:
        sys.stdin.readline()
    socks = []
    for _ in range(count):
        try:
            s = connect(path)
        except OSError:
            continue
        if payload:
            try:
                s.send(b"x" * payload)
            except OSError:
                pass
        socks.append(s)
    print("connected", len(socks), flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print("open", sum(1 for s in socks if not closed_by_peer(s)), flush=True)

def requests(path, conns, each, seconds):
    socks = [connect(path) for _ in range(conns)]
    print("sending", flush=True)
    request = b'{"v":1,"cmd":"status"}\n' * each
    start = time.monotonic()
    pending = {s: request for s in socks}
    replies = 0
    while time.monotonic() - start < seconds:
        writers = [s for s, rest in pending.items() if rest]
        readable, writable, _ = select.select(socks, writers, [], 0.05)
        for s in writable:
            try:
                n = s.send(pending[s])
            except BlockingIOError:
                n = 0
            pending[s] = pending[s][n:]
        for s in readable:
            data = s.recv(1 << 16)
            if not data:
                socks.remove(s)
            replies += data.count(b"\n")
    print("replies", replies, "elapsed", round(time.monotonic() - start, 3), flush=True)

def probe(path):
    sys.stdin.readline()
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(b'{"v":1,"cmd":"status"}\n')
    reply = s.makefile("rb").readline().decode().strip()
    print("reply", round((time.monotonic() - start) * 1000), reply, flush=True)

mode = sys.argv[1]
if mode == "hold":
    hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5)
elif mode == "probe":
    probe(sys.argv[2])
else:
    requests(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
