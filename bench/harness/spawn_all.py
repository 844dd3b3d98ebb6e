"""Not a supervisor: the lower bound of bring-up on this machine. It posix_spawns every DIR/*/run once, in order,
from one small process, and waits until TERM, then kills what it started. What it takes to bring N services up is
what the workload's own execs cost here (run's sh, then sleep), with no supervision at all.

    python3 spawn_all.py DIR
"""
import os
import signal
import sys


def main(root):
    children = []
    for name in sorted(os.listdir(root)):
        run = os.path.join(root, name, "run")
        if os.access(run, os.X_OK):
            children.append(os.posix_spawn(run, [run], os.environ))
    signal.sigwait({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    main(sys.argv[1])
