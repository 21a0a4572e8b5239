"""A parser process: pages in on one pipe, their fields out on another, until EOF.

    python -m seology.crawler.parser_process REQUESTS_FD REPLIES_FD

`pool.ParserPool` starts it as a fresh interpreter that imports only the parser
(docs/internals/crawler.md has its memory), not the crawl process's modules. Why not
multiprocessing: its forkserver and spawn children run the parent's `__main__` module
again before their target (in the benchmark the engine and Prefect;
in a flow run whatever runs as `__main__`), and the forkserver and its resource
tracker are two more processes.

Frames are those of `multiprocessing.Connection` (a 4-byte big-endian signed length,
-1 then an 8-byte length for a frame over 2 GiB, then a pickle), both ways.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import BinaryIO

from seology.crawler.parse import init_worker, parse_in_worker

_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Parse each page as it arrives; return when the crawl process closes the pipe."""
    init_worker()
    while (message := read_frame(requests)) is not None:
        job, body, url, headers, limits = pickle.loads(message)  # noqa: S301 - our crawl process
        try:
            fields = parse_in_worker(body, url, headers, limits)
        except Exception as exc:  # a page must never kill its parser
            fields = {"error": f"could not parse HTML: {type(exc).__name__}: {exc}"}
        write_frame(replies, pickle.dumps((job, fields), protocol=pickle.HIGHEST_PROTOCOL))


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload; None at the end of the stream (or inside a frame)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    if size == -1:
        header = stream.read(_LONG_HEADER.size)
        if len(header) < _LONG_HEADER.size:
            return None
        (size,) = _LONG_HEADER.unpack(header)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    """One frame, flushed: the crawl process is waiting for it."""
    if len(payload) > 0x7FFFFFFF:
        stream.write(_HEADER.pack(-1) + _LONG_HEADER.pack(len(payload)))
    else:
        stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def main(argv: list[str]) -> None:
    """Serve on the two pipe ends the crawl process passed (their numbers in `argv`).

    SIGINT is ignored: a Ctrl-C reaches the whole process group, and the crawl process
    decides what happens; it closes the pipe, and the parser then returns.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests_fd, replies_fd = (int(arg) for arg in argv)
    with os.fdopen(requests_fd, "rb") as requests, os.fdopen(replies_fd, "wb") as replies:
        serve(requests, replies)


if __name__ == "__main__":
    main(sys.argv[1:])
