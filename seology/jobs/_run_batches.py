"""Concurrent reads of single flow runs, answered by one Prefect request per batch.

Why: the job API's hot path is `GET /api/jobs/{id}/status`, one flow run per request.
Each read costs the Prefect server a request (docs/performance.md), so 50 pollers
were bound by the server, not by us. Reads that arrive while a read is in flight wait
for it to end and then go together (`id IN (…)`): at low load a read goes at once, as
before; under load the server sees one request per batch. Nothing is cached: every
answer is at least as fresh as the moment its request arrived.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

#: Prefect refuses `limit` above 200 on reads.
MAX_BATCH = 200

ReadMany = Callable[[list[uuid.UUID]], Awaitable[Iterable["FlowRun"]]]


class BatchedRunReader:
    """`await reader.read(run_id)`: the flow run, or None if Prefect has no such run.

    `read_many(ids)` does the actual read; its exception is raised to every reader of
    that batch. Belongs to one event loop.
    """

    def __init__(self, read_many: ReadMany, max_batch: int = MAX_BATCH) -> None:
        self._read_many = read_many
        self._max_batch = max_batch
        self._waiting: dict[uuid.UUID, list[asyncio.Future[FlowRun | None]]] = {}
        self._draining: asyncio.Task[None] | None = None

    async def read(self, run_id: uuid.UUID) -> FlowRun | None:
        future: asyncio.Future[FlowRun | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(run_id, []).append(future)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Read batches until nobody waits; each batch is what arrived during the last."""
        while self._waiting:
            ids = list(self._waiting)[: self._max_batch]
            batch = {run_id: self._waiting.pop(run_id) for run_id in ids}
            try:
                runs = await self._read_many(ids)
            except Exception as exc:  # every reader of the batch gets the failure
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            found = {run.id: run for run in runs}
            for run_id, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(run_id))
