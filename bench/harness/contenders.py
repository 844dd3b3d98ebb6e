"""The supervisors under test and how each one is launched on a directory of N services."""
import os
import shlex
import shutil
import signal
from dataclasses import dataclass
from typing import Callable

# Only these need Debian packages; bench/setup installs them.
PACKAGES = {"runit": "runit", "s6": "s6", "daemontools": "daemontools", "supervisord": "supervisor"}

SUPERVISORD_PROGRAM = """
[program:{name}]
command={run}
directory={dir}
autostart=true
autorestart=true
startsecs=1
startretries=1000000
stopsignal=TERM
stopwaitsecs=2
stdout_logfile=NONE
stderr_logfile=NONE
"""


@dataclass(frozen=True)
class Contender:
    """name; argv(svcdir, workdir, workload) -> command line; the signal that asks the top process to stop
    everything, and how long to let it try before the harness freezes and kills what is left; the binary
    whose presence means installed."""
    name: str
    argv: Callable
    stop_signal: int
    binary: str
    cwd: str = None
    grace: float = 5.0
    note: str = ""

    def available(self):
        if os.sep in self.binary:
            return os.access(self.binary, os.X_OK)
        return shutil.which(self.binary) is not None


def supervisord_argv(svcdir, workdir, workload):
    conf = os.path.join(workdir, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(f"""[supervisord]
nodaemon=true
logfile={workdir}/supervisord.log
pidfile={workdir}/supervisord.pid
childlogdir={workdir}
loglevel=warn
; 1000 programs keep 3 pipe ends each open in supervisord: raise the fd and process limits it asks for.
minfds=8192
minprocs=4096
""")
        for s in workload.services:
            f.write(SUPERVISORD_PROGRAM.format(name=s.name, run=os.path.join(s.directory, "run"), dir=s.directory))
    return ["supervisord", "-n", "-c", conf]


def all_contenders(vigil_cmd, repo, vigil_options=()):
    """vigil_options go after vigil's own arguments (--no-cgroups, say)."""
    vigil_argv = shlex.split(vigil_cmd)

    def log_dir(work):
        """vigil daemon's logs go in the work directory, not /var/log/vigil (the services print nothing anyway)."""
        return ["--log-dir", os.path.join(work, "logs")] if vigil_argv[-1] == "daemon" else []

    vigil_bin = vigil_argv[0]
    if os.sep in vigil_bin and not os.path.isabs(vigil_bin):
        vigil_bin = os.path.join(repo, vigil_bin)
    return [
        Contender("vigil", lambda d, w, wl: vigil_argv + log_dir(w) + list(vigil_options) + [d], signal.SIGTERM,
                  vigil_bin, cwd=repo, note=" ".join([vigil_cmd, *vigil_options, "DIR"])),
        # HUP: runsvdir TERMs every runsv (which stops its service) and exits; TERM would leave them running.
        Contender("runit", lambda d, w, wl: ["runsvdir", d], signal.SIGHUP, "runsvdir", note="runsvdir DIR"),
        Contender("s6", lambda d, w, wl: ["s6-svscan", "-c", "4096", d], signal.SIGTERM, "s6-svscan",
                  note="s6-svscan -c 4096 DIR"),
        # svscan has no 'stop everything' signal: TERM ends svscan only, the harness kills the rest by pid.
        Contender("daemontools", lambda d, w, wl: ["svscan", d], signal.SIGTERM, "svscan", grace=0.5,
                  note="svscan DIR"),
        # supervisord stops about two programs per second of its main loop: do not wait for 1000.
        Contender("supervisord", supervisord_argv, signal.SIGTERM, "supervisord", grace=1.0,
                  note="supervisord -n -c CONF (autorestart=true startsecs=1 startretries=1000000 "
                       "minfds=8192 minprocs=4096 loglevel=warn, stdout/stderr logfile=NONE)"),
    ]
