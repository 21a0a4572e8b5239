"""One `seology up` per home: an advisory lock on a file in the home, held while it runs.

Two stacks on one home would run two Prefect servers and two workers on the same
databases, and two PostgreSQL servers cannot share a data directory. The ports do not
tell: a second stack may well be started on other ports. The kernel drops the lock
when its holder dies, even by SIGKILL, so a crashed `seology up` never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

LOCK_NAME = "seology-up.lock"


class HomeInUse(RuntimeError):
    """Another process holds the home (a running `seology up`, or a `seology db` command)."""


@dataclass
class HomeLock:
    """The home's lock; `acquire()` takes it or raises `HomeInUse`, `release()` drops it."""

    home: Path
    _handle: IO[str] | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.home / LOCK_NAME

    def acquire(self, purpose: str = "seology up") -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            msg = (
                f"The home {self.home} is in use by {holder}. One `seology up` per home: "
                "stop the running one first, or give this one another --home."
            )
            raise HomeInUse(msg) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{purpose} (pid {os.getpid()})\n")
        handle.flush()
        self._handle = handle

    def held_by_other(self) -> bool:
        """Whether another process holds the lock right now (this one does not)."""
        if self._handle is not None:
            return False
        probe = HomeLock(self.home)
        try:
            probe.acquire("a probe")
        except HomeInUse:
            return True
        probe.release()
        return False

    def release(self) -> None:
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self._handle.truncate(0)
        self._handle.close()
        self._handle = None
