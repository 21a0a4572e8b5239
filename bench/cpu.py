"""Where the CPU went during a benchmark: CPU-seconds by kind of process, from /proc.

On 2 cores every process of the stack competes with every other, so a latency figure
means little without knowing who took the cores. `CpuLedger` samples every process's
user + system time twice a second and adds each one's growth to its kind (the Prefect
server, the job API's Prefect server, workers, flow runs, PostgreSQL by database, …).
A process that ends between two samples loses its last half second: the totals are a
slight undercount, never an overcount. Linux only (reads /proc).
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.5
FLOW_RUNS = "flow runs (fork server)"

#: (kind, pattern on the command line), first match wins.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("prefect server (lane)", r"prefect server start .*--no-services"),
        ("prefect server", r"prefect server start|prefect\.server"),
        (
            FLOW_RUNS,
            r"multiprocessing\.forkserver|prefect\.engine|tasks\.crawler\.parser_process",
        ),
        ("seology workers", r"seology(\.cli)? worker"),
        # uvicorn's own workers (--workers N) are multiprocessing spawns.
        ("job API", r"uvicorn|multiprocessing\.spawn"),
        ("seology up", r"seology(\.cli)? up"),
        ("redis", r"redis-server"),
        ("benchmark (clients, sites)", r"bench\."),
    )
)
#: "postgres: <user> <database> <client address> <activity>", a backend serving a client.
#: Debian puts the cluster first: "postgres: 15/main: <user> <database> …".
POSTGRES_BACKEND = re.compile(r"^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])")


def kind_of(command_line: str) -> str:
    """The ledger's name for a process with this command line."""
    backend = POSTGRES_BACKEND.match(command_line)
    if backend:
        database = backend.group(1)
        suffix = database.rsplit("_", 1)[-1] if "_" in database else database
        return f"postgres ({suffix})"
    for kind, pattern in KINDS:
        if pattern.search(command_line):
            return kind
    if command_line.startswith("postgres"):
        return "postgres (its own processes)"
    program = command_line.split(" ", 1)[0].rsplit("/", 1)[-1]
    return f"other: {program}" if program else "other: kernel threads"


def _read_cpu(pid: str) -> tuple[float, str] | None:
    """(CPU-seconds so far, command line) of a process, or None if it has gone."""
    try:
        stat = (PROC / pid / "stat").read_text()
        command_line = (PROC / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat.rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS, command_line.strip()


class CpuLedger:
    """Samples in a daemon thread between `start()` and `stop()`; `totals()` at any time."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._totals: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-ledger", daemon=True)

    def start(self) -> CpuLedger:
        self._sample(count=False)  # what ran before the ledger started is not counted
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._sample()

    def totals(self) -> Counter[str]:
        with self._lock:
            return Counter(self._totals)

    def _run(self) -> None:
        while not self._stopping.wait(SAMPLE_SECONDS):
            self._sample()

    def _sample(self, count: bool = True) -> None:
        for pid in (entry.name for entry in PROC.iterdir() if entry.name.isdigit()):
            read = _read_cpu(pid)
            if read is None:
                continue
            seconds, command_line = read
            key = (pid, command_line[:200])  # a reused pid or an exec is a new process
            before = self._seen.get(key, 0.0 if count else seconds)
            self._seen[key] = seconds
            if count and seconds > before:
                with self._lock:
                    self._totals[kind_of(command_line)] += seconds - before


def report(totals: Counter[str], wall_seconds: float, title: str) -> str:
    """A table of CPU-seconds by kind, largest first, with each one's share of the cores."""
    cores = os.cpu_count() or 1
    whole = sum(totals.values())
    lines = [
        f"{title}: {whole:.0f} CPU-s in {wall_seconds:.0f} s "
        f"({whole / (wall_seconds * cores):.0%} of {cores} cores)"
    ]
    for kind, seconds in totals.most_common():
        if seconds >= 0.05 * whole or seconds >= 5:
            lines.append(f"  {kind:<30} {seconds:8.1f} CPU-s  {seconds / whole:6.1%}")
    return "\n".join(lines)


def speed_reference() -> str:
    """How fast this machine's cores are today, to compare figures across machines.

    The machines of this workplace differ from day to day (a fixed pure-Python loop
    took 29 ms on 2026-11-29's, where figures were 2–3× those of earlier rounds): quote
    this beside the load average. Best of 5, so that other work inflates it least.
    """
    import timeit

    best = min(timeit.repeat("sum(range(10**6))", number=1, repeat=5))
    return f"CPU reference: sum(range(10**6)) in {best * 1000:.1f} ms (best of 5)"
