"""Child processes of `seology up`: started with their logs in files, stopped in order.

Each child gets its own session (process group), so a Ctrl-C in the terminal reaches
only `seology up`, which then stops the children itself, newest first, each with
SIGTERM and, after a grace period, SIGKILL to its whole group (a worker's flow-run
processes go with it).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

STOP_GRACE_SECONDS = 15.0
#: A path no API route has: a request for it walks every route (see `build_route_table`).
UNROUTED_PATH = "/seology-builds-the-route-table"
#: prctl(2) option: a signal for the child when its parent thread ends.
_PR_SET_PDEATHSIG = 1


class ProcessFailed(RuntimeError):
    """A child process exited or never became ready."""


@dataclass(kw_only=True)
class ManagedProcess:
    """One child: its command, its log file, and the process once started."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path | None = None
    #: Above 0: a lower CPU priority for the child and everything it starts (`lower_priority`).
    nice: int = 0
    #: What asks the child to stop: PostgreSQL's fast shutdown is SIGINT (its SIGTERM
    #: waits for every client to leave).
    stop_signal: signal.Signals = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None
    #: When it was restarted after exiting on its own (monotonic seconds).
    restarts: list[float] = field(default_factory=list)
    _log: IO[bytes] | None = field(default=None, repr=False)

    def may_restart(self, *, limit: int = 5, window: float = 60.0) -> bool:
        """At most `limit` restarts in `window` seconds: a child that keeps dying is a bug."""
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < window]
        return len(self.restarts) < limit

    def restart(self) -> None:
        self.stop(grace=1.0)
        self.restarts.append(time.monotonic())
        self.start()

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_parent(self.stop_signal),
        )
        if self.nice > 0:
            lower_priority(self.process.pid, self.nice)

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the group, wait, then SIGKILL whatever is left."""
        if self.process is not None and self.process.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=5)
        self._signal_group(signal.SIGKILL)  # stragglers of the group, if any
        if self._log is not None:
            self._log.close()
            self._log = None

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def _stop_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """Linux: the child gets `sig` when `seology up` dies, even by SIGKILL.

    Each child has a session of its own, so nothing else would tell it: a killed
    `seology up` left its servers running, holding the home's ports and database files.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig))

    return arm


def lower_priority(pid: int, nice: int) -> None:
    """Run session leader `pid` and whatever it starts at `nice` (1–19), when allowed.

    Linux schedules each session as one group (autogroup, on where
    /proc/sys/kernel/sched_autogroup_enabled is 1) and shares the CPU between groups
    before a process's own nice counts, inside its group only; every child of
    `seology up` has a session of its own. So both are set: the group's nice through
    /proc/PID/autogroup, and the process's own, which its children inherit, for kernels
    without autogroup. Raising a nice needs no privilege; failing to is not an error.
    """
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def wait_until_healthy(
    child: ManagedProcess, url: str, *, timeout: float, expect: int = 200
) -> float:
    """Poll `url` until it answers `expect`; return the seconds it took.

    Fails fast, with the child's last log lines, if the child exits meanwhile.
    """
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if child.exit_code is not None:
            msg = f"{child.name} exited with code {child.exit_code}:\n{child.log_tail()}"
            raise ProcessFailed(msg)
        if _answers(url, expect):
            return time.monotonic() - started
        time.sleep(0.25)
    msg = f"{child.name} was not ready at {url} after {timeout:.0f}s:\n{child.log_tail()}"
    raise ProcessFailed(msg)


def build_route_table(api_url: str, *, timeout: float = 60.0) -> bool:
    """Make a FastAPI server build its route table now rather than on a caller's request.

    FastAPI builds each included router's routes on the first request that reaches it:
    for a Prefect server's routes that is CPU (docs/performance.md) which the first jobs
    enqueued after a start paid in their latency. A request for a path no route has
    reaches every router. It answers 404; False if it did not answer at all (the server
    still builds the table on its first real request then).
    """
    try:
        httpx.get(f"{api_url.rstrip('/')}{UNROUTED_PATH}", timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


def _answers(url: str, expect: int) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == expect
    except httpx.HTTPError:
        return False
