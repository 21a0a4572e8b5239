"""The parser pool: one process per core, each fed through its own pipe by the event loop.

Why not `ProcessPoolExecutor`: it moves every page through two threads of the crawl
process (a queue feeder and a result manager) that need the GIL while the event loop
holds it, and it keeps at most one page queued beyond the busy workers. On a loaded
machine a worker then waits for the crawl process to be scheduled (and to hand over
the GIL) before it gets its next page: measured at load 6–8, the crawl used under half
a core of its two. Here the event loop writes pages straight into each worker's pipe
(non-blocking, asyncio's pipe transports buffer what the pipe cannot take yet) and
reads the answers as they come: a worker always has its next pages waiting, and the
crawl process has no extra threads.

Frames are those of `multiprocessing.Connection` (a 4-byte big-endian length, then a
pickle) so the worker side is plain `recv_bytes`/`send_bytes`. Workers start from a
fork server (not fork: the flow process has Prefect's threads) that preloads only this
module and the parser. A worker that dies fails the pages it held (their records get an
`error`) and is replaced on the next page.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import struct
from multiprocessing.connection import Connection
from typing import Any

from tasks.crawler.parse import init_worker, parse_in_worker

_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


class ParserDied(RuntimeError):
    """The parser process holding a page exited before answering."""


def serve(requests: Connection, replies: Connection) -> None:
    """A parser process: parse each page as it arrives, until the pipe closes."""
    init_worker()
    while True:
        try:
            job, body, url, headers = pickle.loads(requests.recv_bytes())  # noqa: S301 - from our crawl process
        except EOFError:
            return
        try:
            fields = parse_in_worker(body, url, headers)
        except Exception as exc:  # a page must never kill its parser
            fields = {"error": f"could not parse HTML: {type(exc).__name__}: {exc}"}
        replies.send_bytes(pickle.dumps((job, fields), protocol=pickle.HIGHEST_PROTOCOL))


class _Replies(asyncio.Protocol):
    """Reads a worker's answers off its pipe and settles the waiting futures."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer)
            start = _HEADER.size
            if size == -1:  # multiprocessing's header for a message over 2 GiB
                if len(buffer) < start + _LONG_HEADER.size:
                    return
                (size,) = _LONG_HEADER.unpack_from(buffer, start)
                start += _LONG_HEADER.size
            if len(buffer) < start + size:
                return
            message = buffer[start : start + size]
            job, fields = pickle.loads(message)  # noqa: S301 - from our own parser process
            del buffer[: start + size]
            self.worker.settle(job, fields)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.lost()


class _Worker:
    """One parser process, its two pipes, and the pages it holds."""

    def __init__(self, context: Any) -> None:
        requests_out, self.requests = context.Pipe(duplex=False)
        self.replies, replies_in = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve, args=(requests_out, replies_in), daemon=True, name="seology-parser"
        )
        self.process.start()
        requests_out.close()
        replies_in.close()
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.writer: asyncio.WriteTransport | None = None
        self.alive = True

    async def connect(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writer, _ = await loop.connect_write_pipe(asyncio.Protocol, self.requests)
        await loop.connect_read_pipe(lambda: _Replies(self), self.replies)

    def submit(self, job: int, payload: bytes, future: asyncio.Future[dict[str, Any]]) -> None:
        assert self.writer is not None
        self.pending[job] = future
        self.writer.write(_HEADER.pack(len(payload)))
        self.writer.write(payload)

    def settle(self, job: int, fields: dict[str, Any]) -> None:
        future = self.pending.pop(job, None)
        if future is not None and not future.done():
            future.set_result(fields)

    def lost(self) -> None:
        """The reply pipe closed: the process is gone; fail what it held."""
        self.alive = False
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ParserDied(f"parser process {self.process.pid} exited"))

    def close(self) -> None:
        self.alive = False
        if self.writer is not None:
            self.writer.close()  # the worker sees EOF and returns
        else:
            self.requests.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        for future in self.pending.values():
            future.cancel()


class ParserPool:
    """`processes` parser processes (None: one per core); `await parse(...)` a page.

    Use as an async context manager: the processes are started on entry and stopped on
    exit (their pipes closed; a straggler is killed after 2 s), pages in flight cancelled.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.size = processes or os.cpu_count() or 1
        self.context = multiprocessing.get_context("forkserver")
        # The fork server would otherwise import `__main__` (in a flow run: Prefect and
        # everything else) and every worker would carry it; parsing needs only this.
        self.context.set_forkserver_preload([__name__])
        self.workers: list[_Worker] = []
        self.jobs = 0

    async def __aenter__(self) -> ParserPool:
        for _ in range(self.size):
            await self._start_worker()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []

    async def _start_worker(self) -> _Worker:
        worker = _Worker(self.context)
        self.workers.append(worker)
        await worker.connect(asyncio.get_running_loop())
        return worker

    async def parse(self, body: bytes, url: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
        """`parse_page(body, url, headers)` in the least busy parser process.

        Raises ParserDied if that process exits before answering (it is replaced).
        """
        for dead in [w for w in self.workers if not w.alive]:
            self.workers.remove(dead)
            dead.close()
        while len(self.workers) < self.size:
            await self._start_worker()
        worker = min(self.workers, key=lambda w: len(w.pending))
        self.jobs += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        payload = pickle.dumps((self.jobs, body, url, headers), protocol=pickle.HIGHEST_PROTOCOL)
        worker.submit(self.jobs, payload, future)
        return await future
