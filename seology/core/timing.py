"""Parts of the request being served, timed where they happen, for `Server-Timing`.

`with timed("auth"): ...` adds the block's duration to the current request's parts,
from anywhere the request's context reaches (threads of `run_in_threadpool` included);
outside a request it times nothing. `seology.api.timing` puts the parts in the header.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

#: The parts of the request being served, in the order they ended: (name, seconds).
_parts: ContextVar[list[tuple[str, float]] | None] = ContextVar("server_timing", default=None)


def start_request() -> tuple[list[tuple[str, float]], Token[list[tuple[str, float]] | None]]:
    """A fresh list of parts for the request starting in this context; reset with the token."""
    parts: list[tuple[str, float]] = []
    return parts, _parts.set(parts)


def end_request(token: Token[list[tuple[str, float]] | None]) -> None:
    _parts.reset(token)


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Add the block's duration to the current response's `Server-Timing` as `name`."""
    parts = _parts.get()
    if parts is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        parts.append((name, time.perf_counter() - start))
