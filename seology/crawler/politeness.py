"""Per-host politeness: at most N requests in flight to a host, and a gap between starts.

The global concurrency limit protects us; this protects the site. The gap is the larger
of our own per-host delay and the site's robots.txt `Crawl-delay`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostGate:
    """Hands out per-host slots: `async with gate.slot(host): ...`."""

    def __init__(self, *, connections: int, delay: float = 0.0) -> None:
        self.connections = connections
        self.delay = delay
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for a free connection to `host` and for its delay to pass."""
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self.connections))
        async with semaphore:
            await self.wait_turn(host)
            yield

    async def wait_turn(self, host: str) -> None:
        """Wait until `host`'s delay since the last start has passed (no slot taken)."""
        if self.delay <= 0:
            return
        now = time.monotonic()
        start = max(now, self._next_start.get(host, now))
        self._next_start[host] = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)
