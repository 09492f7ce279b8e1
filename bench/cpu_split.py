"""Where a bench run's CPU went, by process group: the shop, its database, the fakes and the load itself.

On one 2-core machine the shop shares its cores with PostgreSQL, localstripe (Stripe's fake, remote in
production), the buyers' threads and wrk (phones in production). A figure such as "reads during a sale"
falls with whatever any of them takes, so the benches say how much each took.

    with CpuSplit() as split:
        ...  # the load
    split.seconds  # {"gunicorn": 12.3, "postgres": 4.5, ...}: CPU seconds each group used meanwhile

Read from /proc (Linux): a process's user + system time. wrk runs as the bench's child and has ended by the
time a window closes: its time is the bench's children's, which the kernel adds when the bench waits for it.
Any other process that ends inside the window leaves its share to "other" (the machine's busy time, from
/proc/stat, less the groups').
"""

from __future__ import annotations

import os
import time
from pathlib import Path

GROUPS = ("gunicorn", "postgres", "localstripe", "wrk", "bench")
TICKS = os.sysconf("SC_CLK_TCK")


def _group(pid: int, command: str) -> str | None:
    if pid == os.getpid():
        return "bench"  # the buyers' threads and the bench's own bookkeeping
    for group in GROUPS[:-1]:
        if group in command:
            return group
    return None


def _by_process() -> dict[int, tuple[str, float]]:
    """{pid: (group, CPU seconds so far)} for every process of a known group."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while being read
            continue
        pid = int(entry.name)
        group = _group(pid, command)
        if group is not None:
            found[pid] = (group, (int(fields[11]) + int(fields[12])) / TICKS)  # utime, stime
        if pid == os.getpid():  # the wrk runs it waited for: its children's time (cutime, cstime)
            found[-pid] = ("wrk", (int(fields[13]) + int(fields[14])) / TICKS)
    return found


def _machine_busy() -> float:
    """CPU seconds the machine spent busy (every core), from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICKS


class CpuSplit:
    """CPU seconds by group between entering and leaving; `other` is the rest of the machine's busy time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.elapsed = 0.0  # wall seconds the window(s) lasted

    def __enter__(self) -> CpuSplit:
        self._start, self._busy, self._began = _by_process(), _machine_busy(), time.monotonic()
        return self

    def __exit__(self, *_) -> None:
        end = _by_process()
        split = dict.fromkeys(GROUPS, 0.0)
        for pid, (group, used) in end.items():
            split[group] += used - self._start.get(pid, (group, 0.0))[1]
        split["other"] = max(0.0, _machine_busy() - self._busy - sum(split.values()))
        self.seconds = split
        self.elapsed = time.monotonic() - self._began

    def add(self, other: CpuSplit) -> None:
        """Count `other`'s seconds in with these (a further round)."""
        for group, used in other.seconds.items():
            self.seconds[group] = self.seconds.get(group, 0.0) + used
        self.elapsed += other.elapsed

    def cores(self) -> dict[str, float]:
        """Cores each group kept busy on average over the window(s)."""
        return {group: used / self.elapsed for group, used in self.seconds.items()} if self.elapsed else {}
