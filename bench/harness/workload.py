"""The workload: N runit-style service directories whose run execs `sleep <unique number>`.

The number both keeps the service asleep for years and names it: a process whose cmdline is exactly
`sleep\\0<number>\\0` is that service, whoever supervises it.
"""
import os
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    number: int
    directory: str


@dataclass(frozen=True)
class Workload:
    services: tuple
    base: int
    n: int

    def number_of(self, cmdline):
        """The service number a cmdline belongs to, or None if it is not exactly one of ours."""
        if not cmdline or not cmdline.startswith(b"sleep\0") or not cmdline.endswith(b"\0"):
            return None
        arg = cmdline[6:-1]
        if not arg.isdigit():
            return None
        number = int(arg)
        if self.base <= number < self.base + self.n and cmdline == b"sleep\0%d\0" % number:
            return number
        return None


def make(root, n, base):
    """Create root/s0000 ... with an executable run; returns the Workload."""
    os.makedirs(root)
    services = []
    width = max(4, len(str(n - 1)))
    for i in range(n):
        name = f"s{i:0{width}d}"
        directory = os.path.join(root, name)
        os.mkdir(directory)
        number = base + i
        run = os.path.join(directory, "run")
        with open(run, "w") as f:
            f.write(f"#!/bin/sh\nexec sleep {number}\n")
        os.chmod(run, 0o755)
        services.append(Service(name, number, directory))
    # runsvdir ignores a directory modified less than a second ago (it waits for it to settle), which would
    # add a second to runit's bring-up that says nothing about runit: date the directory a minute back,
    # as if it had been there since boot.
    past = time.time() - 60
    os.utime(root, (past, past))
    return Workload(tuple(services), base, n)
