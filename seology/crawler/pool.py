"""The parser pool: one process per core, each fed through its own pipe by the event loop.

Why not `ProcessPoolExecutor`: it moves every page through two threads of the crawl
process (a queue feeder and a result manager) that need the GIL while the event loop
holds it, and it keeps at most one page queued beyond the busy workers. On a loaded
machine a worker then waits for the crawl process to be scheduled (and to hand over the
GIL) before it gets its next page: on a loaded machine the crawl could not keep its two
cores busy (docs/internals/crawler.md). Here the event loop writes pages straight into
each worker's pipe (non-blocking, asyncio's pipe transports buffer what the pipe cannot
take yet) and reads the answers as they come: a worker always has its next pages
waiting, and the crawl process has no extra threads.

Each worker is a fresh interpreter running `seology.crawler.parser_process` (not fork:
the flow process has Prefect's threads; not multiprocessing's forkserver or spawn: their
children import the parent's `__main__` again, and the forkserver and its resource
tracker are two more processes). `subprocess` starts it with
vfork + exec, safe in a threaded process, and passes it the two pipe ends and this
process's `sys.path`. Frames are those of `multiprocessing.Connection` (a 4-byte
big-endian length, then a pickle). A worker that dies fails the pages it held (their
records get an `error`) and is replaced on the next page.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from seology.crawler.limits import PageLimits

_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


class ParserDied(RuntimeError):
    """The parser process holding a page exited before answering."""


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

    def __init__(self) -> None:
        self.process, self.requests, self.replies = _start_parser()
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.writer: asyncio.WriteTransport | None = None
        self.reader: asyncio.ReadTransport | None = None
        self.alive = True

    async def connect(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writer, _ = await loop.connect_write_pipe(asyncio.Protocol, self.requests)
        self.reader, _ = await loop.connect_read_pipe(lambda: _Replies(self), self.replies)

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
        """Close its pipe (the parser returns at EOF); kill it if it is not gone in 2 s.

        The pipe is closed here and now, not by the transport: a transport closes its
        file on a later turn of the event loop, which `wait` below blocks, so the parser
        saw no EOF and every crawl ended with a 2 s wait and a kill per parser.
        """
        self.alive = False
        if self.writer is not None and not self.writer.is_closing():
            self.writer.abort()  # drops what the pipe has not taken, unregisters the fd
        self.requests.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.reader is not None:
            self.reader.close()
        else:
            self.replies.close()
        for future in self.pending.values():
            future.cancel()


def _start_parser() -> tuple[subprocess.Popen[bytes], BinaryIO, BinaryIO]:
    """A parser process, the pipe end that feeds it pages and the one it answers on."""
    requests_in, requests_out = os.pipe()
    replies_in, replies_out = os.pipe()
    command = [sys.executable, "-m", "seology.crawler.parser_process"]
    try:
        process = subprocess.Popen(
            [*command, str(requests_in), str(replies_out)],
            pass_fds=(requests_in, replies_out),
            stdin=subprocess.DEVNULL,
            env=_parser_environment(),
        )
    except BaseException:
        os.close(requests_out)
        os.close(replies_in)
        raise
    finally:  # the parser's ends: ours closed, so its exit is EOF on our side
        os.close(requests_in)
        os.close(replies_out)
    return (
        process,
        os.fdopen(requests_out, "wb", buffering=0),
        os.fdopen(replies_in, "rb", buffering=0),
    )


def _parser_environment() -> dict[str, str]:
    """This environment, with this process's `sys.path` as PYTHONPATH.

    The parser then imports `tasks` (and the rest) from where the crawl process did, in
    the same order, however that found it (installed, working directory, a path added
    at run time), as multiprocessing's spawn does; `site` drops the duplicates.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in sys.path if path)
    return env


class ParserPool:
    """`processes` parser processes (None: one per core); `await parse(...)` a page.

    Use as an async context manager: the processes are started on entry and stopped on
    exit (their pipes closed; a straggler is killed after 2 s), pages in flight cancelled.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.size = processes or os.cpu_count() or 1
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
        worker = _Worker()
        self.workers.append(worker)
        await worker.connect(asyncio.get_running_loop())
        return worker

    async def parse(
        self,
        body: bytes,
        url: str,
        headers: list[tuple[str, str]],
        limits: PageLimits | None = None,
    ) -> dict[str, Any]:
        """`parse_page(body, url, headers, limits)` in the least busy parser process.

        Raises ParserDied if that process exits before answering (it is replaced).
        """
        return await (await self.submit(body, url, headers, limits))

    async def submit(
        self,
        body: bytes,
        url: str,
        headers: list[tuple[str, str]],
        limits: PageLimits | None = None,
    ) -> asyncio.Future[dict[str, Any]]:
        """Hand the page to the least busy parser; the future of its fields.

        Once this returns, the page is in the parser's pipe (or the pipe transport's
        buffer): a caller that drops its own copy of `body` then holds nothing of it.
        """
        for dead in [w for w in self.workers if not w.alive]:
            self.workers.remove(dead)
            dead.close()
        while len(self.workers) < self.size:
            await self._start_worker()
        worker = min(self.workers, key=lambda w: len(w.pending))
        self.jobs += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        payload = pickle.dumps(
            (self.jobs, body, url, headers, limits), protocol=pickle.HIGHEST_PROTOCOL
        )
        worker.submit(self.jobs, payload, future)
        return future


#: Pages per parser process: a fresh parser interpreter costs about what parsing a few
#: dozen pages does (docs/internals/crawler.md), so a small crawl gets one parser and a
#: large one one per core.
POOL_MIN_PAGES = 100


def parser_processes_for(processes: int | None, max_pages: int) -> int:
    """How many parser processes a crawl of `max_pages` starts (0: a thread, for tests)."""
    if processes is not None:
        return processes
    return max(1, min(os.cpu_count() or 1, math.ceil(max_pages / POOL_MIN_PAGES)))


@contextlib.asynccontextmanager
async def parser_pool(processes: int | None, max_pages: int) -> AsyncIterator[ParserPool | None]:
    """The crawl's parser processes; None (parse in a thread) only when asked for 0.

    A page is never parsed on the event loop: a big page takes the parser seconds,
    and every fetch in flight would stall (and time out) meanwhile.
    """
    count = parser_processes_for(processes, max_pages)
    if count == 0:
        yield None
        return
    async with ParserPool(count) as pool:
        yield pool
